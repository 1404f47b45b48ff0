//! Several `cairn serve` replicas behind HAProxy on one machine: a folder with the bundle,
//! `haproxy.cfg`, `start.sh`, `rolling-update.sh` and `stop.sh`.
//!
//! HAProxy balances requests round-robin over the replicas, checks each one's
//! `/v2/health/ready` twice a second and retries a request on another replica when a
//! connection fails or comes back empty. A rolling update takes one replica at a time out of
//! the rotation through HAProxy's admin socket (drain, then maintenance once its requests in
//! flight have ended), stops it (SIGTERM: in-flight requests finish), starts it again with the
//! new bundle, waits until it answers, and puts it back — so no request is lost.

use super::{ExportError, copy, write};
use std::path::Path;

/// Where the replicas listen: `port + 1`, `port + 2` …
pub fn replica_port(port: u16, replica: usize) -> u16 {
    port.saturating_add(replica as u16)
}

/// The HAProxy configuration: a front end on `port`, `replicas` back ends after it.
pub fn haproxy_config(port: u16, replicas: usize) -> String {
    let servers: String = (1..=replicas)
        .map(|i| format!("    server r{i} 127.0.0.1:{} check inter 500ms fall 2 rise 1\n", replica_port(port, i)))
        .collect();
    format!(
        "# Cairn: {replicas} replicas of `cairn serve` behind HAProxy (written by `cairn export --haproxy`).\n\
         global\n\
         \x20   maxconn 2048\n\
         \x20   stats socket unix@run/admin.sock mode 600 level admin\n\
         \n\
         defaults\n\
         \x20   mode http\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 60s\n\
         \x20   timeout server 60s\n\
         \x20   # A request that meets a replica going away is sent to another one.\n\
         \x20   retries 3\n\
         \x20   option redispatch 1\n\
         \x20   retry-on conn-failure empty-response response-timeout\n\
         \x20   option http-buffer-request\n\
         \n\
         frontend cairn_in\n\
         \x20   bind 127.0.0.1:{port}\n\
         \x20   default_backend cairn\n\
         \n\
         backend cairn\n\
         \x20   balance roundrobin\n\
         \x20   option httpchk GET /v2/health/ready\n\
         {servers}"
    )
}

const COMMON: &str = r#"cd "$(dirname "$0")"
CAIRN=${CAIRN:-cairn}
mkdir -p run
# Waits until a replica answers its readiness route (bash's /dev/tcp: no curl needed).
ready() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /v2/health/ready HTTP/1.0\r\n\r\n' >&3 &&
        head -c 12 <&3 | grep -q 200) 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "replica on port $1 did not start (see run/)" >&2
  return 1
}
# Starts replica $1 on its own copy of the bundle (its own prediction log).
start_replica() {
  "$CAIRN" serve "replica-$1/model.cairn" --host 127.0.0.1 --port "$((PORT + $1))" >"run/replica-$1.log" 2>&1 &
  echo $! >"run/replica-$1.pid"
  ready "$((PORT + $1))"
}
admin() { echo "$1" | socat stdio unix-connect:run/admin.sock; }
"#;

/// Writes the folder: the bundle, `haproxy.cfg` and the scripts.
pub fn write_haproxy(bundle: &Path, dir: &Path, replicas: usize, port: u16) -> Result<(), ExportError> {
    let replicas = replicas.max(1);
    copy(bundle, &dir.join("model.cairn"))?;
    write(&dir.join("haproxy.cfg"), haproxy_config(port, replicas).as_bytes())?;
    let head = format!("#!/usr/bin/env bash\nset -euo pipefail\nPORT={port}\nREPLICAS={replicas}\n{COMMON}");
    let start = format!(
        "{head}# Starts the replicas, then HAProxy in front of them on port $PORT.\n\
         for i in $(seq 1 \"$REPLICAS\"); do\n\
         \x20 mkdir -p \"replica-$i\"\n\
         \x20 cp model.cairn \"replica-$i/model.cairn\"\n\
         \x20 start_replica \"$i\"\n\
         done\n\
         haproxy -D -f haproxy.cfg -p run/haproxy.pid\n\
         ready \"$PORT\"\n\
         echo \"Serving on http://127.0.0.1:$PORT/ ($REPLICAS replicas)\"\n"
    );
    let update = format!(
        "{head}# Replaces the replicas' bundle one replica at a time, under load, losing no request:\n\
         #   ./rolling-update.sh NEW_BUNDLE\n\
         new=$(realpath \"$1\")\n\
         \"$CAIRN\" export \"$new\" --check >/dev/null  # a damaged bundle is refused before anything stops\n\
         for i in $(seq 1 \"$REPLICAS\"); do\n\
         \x20 admin \"set server cairn/r$i state drain\" >/dev/null\n\
         \x20 # Wait (at most 10 s) until no request is in flight on it (scur, the 5th field of show stat).\n\
         \x20 for _ in $(seq 1 200); do\n\
         \x20   cur=$(admin \"show stat\" | awk -F, -v s=\"r$i\" '$1 == \"cairn\" && $2 == s {{ print $5 }}')\n\
         \x20   [ \"${{cur:-0}}\" = 0 ] && break\n\
         \x20   sleep 0.05\n\
         \x20 done\n\
         \x20 admin \"set server cairn/r$i state maint\" >/dev/null\n\
         \x20 pid=$(cat \"run/replica-$i.pid\")\n\
         \x20 kill -TERM \"$pid\" 2>/dev/null || true\n\
         \x20 while kill -0 \"$pid\" 2>/dev/null; do sleep 0.05; done\n\
         \x20 cp \"$new\" \"replica-$i/model.cairn\"\n\
         \x20 start_replica \"$i\"\n\
         \x20 admin \"set server cairn/r$i state ready\" >/dev/null\n\
         \x20 echo \"replica $i now serves $new\"\n\
         done\n\
         cp \"$new\" model.cairn\n"
    );
    let stop = format!(
        "{head}# Stops HAProxy and the replicas.\n\
         [ -f run/haproxy.pid ] && kill \"$(cat run/haproxy.pid)\" 2>/dev/null || true\n\
         for i in $(seq 1 \"$REPLICAS\"); do\n\
         \x20 [ -f \"run/replica-$i.pid\" ] && kill -TERM \"$(cat \"run/replica-$i.pid\")\" 2>/dev/null || true\n\
         done\n"
    );
    for (name, text) in [("start.sh", start), ("rolling-update.sh", update), ("stop.sh", stop)] {
        let path = dir.join(name);
        write(&path, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|error| ExportError::Write { path: path.clone(), error })?;
        }
    }
    let readme = format!(
        "{replicas} replicas of `cairn serve` behind HAProxy on http://127.0.0.1:{port}/\n\n\
         Needs: haproxy and socat (Debian: apt-get install haproxy socat), cairn on PATH (or CAIRN=/path/to/cairn).\n\n\
         ./start.sh                     start the replicas (ports {first}…{last}) and HAProxy\n\
         ./rolling-update.sh NEW.cairn  replace the model one replica at a time, losing no request\n\
         ./stop.sh                      stop everything\n",
        first = replica_port(port, 1),
        last = replica_port(port, replicas),
    );
    write(&dir.join("README.txt"), readme.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_lists_every_replica_with_its_health_check() {
        let cfg = haproxy_config(9000, 3);
        assert!(cfg.contains("bind 127.0.0.1:9000"));
        for (i, port) in [(1, 9001), (2, 9002), (3, 9003)] {
            assert!(cfg.contains(&format!("server r{i} 127.0.0.1:{port} check")), "{cfg}");
        }
        assert!(cfg.contains("option httpchk GET /v2/health/ready"));
        assert!(cfg.contains("retry-on conn-failure empty-response"));
    }
}
