//! The Debian package, installed for real: `.ci/package-deb` packages the executable under test,
//! `apt-get install ./cairn_*.deb` installs it (its dependencies resolved by apt), and the
//! installed `/usr/bin/cairn` prints its version, trains on a sample, and opens its window
//! under Xvfb to the first frame. The desktop database the package's triggers update must
//! send `.cairnpack` class packs to the app and `.cairn` models to the model server entry.
//! The package is removed again at the end, however the test ends.

use crate::common::{asset, cairn_exe, tempdir};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Removes the package however the test ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        Command::new("apt-get")
            .args(["remove", "-y", "-qq", "cairn"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .ok();
    }
}

/// An X server on a free display number, stopped on drop.
struct Xvfb(std::process::Child, String);

impl Xvfb {
    fn start() -> Xvfb {
        let n = (110..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free display");
        let child = Command::new("Xvfb")
            .args([format!(":{n}").as_str(), "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .spawn()
            .expect("Xvfb (apt-get install xvfb; .ci/system-packages --test installs it)");
        let started = Instant::now();
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "Xvfb did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Xvfb(child, format!(":{n}"))
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn the_deb_installs_and_the_installed_cairn_trains_and_opens_its_window() {
    assert!(is_root(), "installing a package needs root (CI runs as root); this test must not pass without installing");
    let dir = tempdir();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(Command::new("bash").arg(root.join(".ci/package-deb")).args([
        "--binary",
        cairn_exe().to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]));
    let deb = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let size = std::fs::metadata(&deb).unwrap().len();
    eprintln!("{deb}: {:.1} MB", size as f64 / 1e6);
    let info = run(Command::new("dpkg-deb").args(["-f", &deb, "Depends"]));
    let depends = String::from_utf8_lossy(&info.stdout);
    for dep in ["libc6", "libvulkan1", "mesa-vulkan-drivers", "libxkbcommon0"] {
        assert!(depends.contains(dep), "Depends lacks {dep}: {depends}");
    }

    let _installed = Installed;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends", &deb])
        .env("DEBIAN_FRONTEND", "noninteractive"));
    let cairn = Path::new("/usr/bin/cairn");
    assert!(cairn.exists(), "the package installs /usr/bin/cairn");

    let version = run(Command::new(cairn).arg("--version"));
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("cairn {}", env!("CARGO_PKG_VERSION")));

    // Train on a sample with the installed program (its run store in the test's home).
    let bundle = dir.path().join("penguins.cairn");
    let trained = run(Command::new(cairn)
        .args(["train", asset("penguins.csv").to_str().unwrap(), "--target", "species", "--json", "--out"])
        .arg(&bundle)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path()));
    let v: serde_json::Value = serde_json::from_slice(&trained.stdout).unwrap();
    let accuracy = v["metrics"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.95, "accuracy {accuracy}");
    assert!(bundle.exists());

    // The desktop: entries valid, icon in the theme, and the MIME database (rebuilt by the
    // package's triggers) maps the file types to Cairn.
    run(Command::new("desktop-file-validate")
        .args(["/usr/share/applications/cairn.desktop", "/usr/share/applications/cairn-model.desktop"]));
    assert!(Path::new("/usr/share/icons/hicolor/scalable/apps/cairn.svg").exists());
    let globs = std::fs::read_to_string("/usr/share/mime/globs2").unwrap();
    assert!(globs.contains("application/x-cairn-bundle:*.cairn"), "no .cairn glob in globs2");
    assert!(globs.contains("application/x-cairn-class-pack:*.cairnpack"), "no .cairnpack glob in globs2");
    let default_for = |mime: &str| {
        let out = run(Command::new("xdg-mime").args(["query", "default", mime]).env("HOME", dir.path()));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(default_for("application/x-cairn-class-pack"), "cairn.desktop");
    assert_eq!(default_for("application/x-cairn-bundle"), "cairn-model.desktop");

    // The window, from the installed program, under Xvfb: it opens, draws its first frame
    // (timed from the process start) and closes itself.
    let x = Xvfb::start();
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(&xdg).unwrap();
    let started = Instant::now();
    let gui = run(Command::new(cairn)
        .env("DISPLAY", &x.1)
        .env("XDG_RUNTIME_DIR", &xdg)
        .env("HOME", dir.path())
        .env("CAIRN_EXIT_AFTER_FIRST_FRAME", "1")
        .env_remove("WAYLAND_DISPLAY"));
    let said = String::from_utf8_lossy(&gui.stderr);
    assert!(said.contains("first frame after"), "the window never drew: {said}");
    eprintln!("cold start: {} (whole process {:.0} ms)", said.trim(), started.elapsed().as_secs_f64() * 1000.0);

    drop(_installed);
    assert!(!cairn.exists(), "apt-get remove takes /usr/bin/cairn away");
}

/// Whether the test runs as root (it installs a package).
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
