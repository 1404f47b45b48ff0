//! The page at `GET /` for a forecast bundle: pick a series and a horizon, and see the recent
//! history, the forecast and its band drawn (SVG) and listed, from `POST /forecast`.

use super::form::escape;
use crate::train::Pipeline;
use crate::train::forecast::Forecaster;
use serde_json::json;

/// How many of the last values of each series the chart shows.
const SHOWN: usize = 60;

pub fn page(p: &Pipeline, f: &Forecaster) -> String {
    let history: serde_json::Map<String, serde_json::Value> = f
        .series
        .iter()
        .map(|s| {
            let from = s.values.len().saturating_sub(SHOWN);
            let times: Vec<String> = (from..s.values.len()).map(|i| f.frequency.label(s.start + i as i64)).collect();
            (s.id.clone(), json!({"times": times, "values": s.values[from..]}))
        })
        .collect();
    let options: String = f.series.iter().map(|s| format!("<option>{}</option>", escape(&s.id))).collect();
    let picker = if f.columns.series.is_empty() {
        String::new()
    } else {
        format!("<label for=\"s\">{}</label><select id=\"s\">{options}</select>", escape(&f.columns.series))
    };
    format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn · forecast {target}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}}
h1{{font-size:1.4em}} .row{{display:flex;gap:1em;margin:.4em 0;align-items:center}}
label{{font-weight:600}} input,select{{padding:.3em;font:inherit}}
button{{padding:.5em 1.2em;font:inherit;background:#2a6;color:#fff;border:0;border-radius:4px;cursor:pointer}}
small{{color:#666}} table{{border-collapse:collapse;margin-top:1em}} td,th{{padding:.2em .8em;text-align:right}}
th{{border-bottom:1px solid #aaa}} svg{{width:100%;height:280px;background:#fafcfa;border:1px solid #dde}}
#out{{margin-top:1em}}
</style></head><body>
<h1>Forecast <code>{target}</code></h1>
<p><small>Model: {model} · every {freq} · backtest: {reading}</small></p>
<form id="f" class="row">{picker}
<label for="h">steps ahead</label><input id="h" type="number" min="1" max="1000" value="{horizon}">
<button type="submit">Forecast</button></form>
<svg id="chart" viewBox="0 0 800 280" role="img" aria-label="history, forecast and band"></svg>
<div id="out">Press Forecast.</div>
<p><small>For programs: <code>POST /forecast</code> with <code>{{"horizon": {horizon}}}</code> (see <a href="/docs">/docs</a>); health at <a href="/health">/health</a>.</small></p>
<script>
const HISTORY = {history};
const LEVEL = {level};
function draw(name, f) {{
  const h = HISTORY[name] || {{times:[], values:[]}};
  const all = h.values.concat(f.values, f.lower, f.upper).filter(v => v !== null && isFinite(v));
  const lo = Math.min(...all), hi = Math.max(...all), n = h.values.length + f.values.length;
  const x = i => 40 + 740 * i / Math.max(1, n - 1), y = v => 260 - 240 * (v - lo) / Math.max(1e-12, hi - lo);
  const line = (pts) => pts.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
  const k = h.values.length;
  const band = f.upper.map((v, i) => [k + i, v]).concat(f.lower.map((v, i) => [k + i, v]).reverse());
  document.getElementById('chart').innerHTML =
    '<path d="' + line(band) + ' Z" fill="#2a6" fill-opacity="0.18" stroke="none"/>' +
    '<path d="' + line(h.values.map((v, i) => [i, v])) + '" fill="none" stroke="#333" stroke-width="1.5"/>' +
    '<path d="' + line([[k - 1, h.values[k - 1]]].concat(f.values.map((v, i) => [k + i, v]))) + '" fill="none" stroke="#2a6" stroke-width="2"/>' +
    '<text x="42" y="16" font-size="12">' + hi.toPrecision(5) + '</text><text x="42" y="274" font-size="12">' + lo.toPrecision(5) + '</text>' +
    '<text x="600" y="16" font-size="12" fill="#2a6">forecast, ' + Math.round(100 * LEVEL) + ' % band</text>';
}}
document.getElementById('f').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const s = document.getElementById('s');
  const body = {{horizon: Number(document.getElementById('h').value)}};
  if (s) body.series = s.value;
  const out = document.getElementById('out');
  const r = await fetch('/forecast', {{method:'POST', headers:{{'content-type':'application/json'}}, body: JSON.stringify(body)}});
  const j = await r.json();
  if (!r.ok) {{ out.textContent = 'Error: ' + j.error; return; }}
  const f = j.forecasts[0];
  draw(f.series, f);
  const rows = f.times.map((t, i) => '<tr><td>' + t + '</td><td>' + f.values[i].toPrecision(6) + '</td><td>' +
    f.lower[i].toPrecision(6) + ' … ' + f.upper[i].toPrecision(6) + '</td></tr>').join('');
  out.innerHTML = '<table><tr><th>time</th><th>forecast</th><th>' + Math.round(100 * LEVEL) + ' % band</th></tr>' + rows + '</table>';
}});
document.getElementById('f').requestSubmit();
</script>
</body></html>
"##,
        target = escape(&p.target.name),
        model = escape(f.method.display_name()),
        freq = f.frequency.name(),
        reading = escape(&f.reading()),
        horizon = f.horizon,
        history = serde_json::Value::Object(history).to_string().replace("</", "<\\/"),
        level = f.level,
    )
}
