//! The page at `GET /` for a picture (or sound) model: pick (or drop) pictures or WAV clips,
//! see (or hear) each one with its answer and the classes' probabilities. It posts the files as
//! `multipart/form-data` to `/predict`, as a program would. No external assets.

use super::form::escape;
use super::pictures::Examples;
use crate::train::Pipeline;

pub fn page(p: &Pipeline, kind: Examples) -> String {
    let (things, features, accept, element) = match kind {
        Examples::Pictures => ("pictures", "the pictures' features (pretrained encoder)", "image/*", "img"),
        Examples::Sounds => ("sound clips", "the clips' log-mel features", ".wav,audio/wav,audio/x-wav", "audio"),
    };
    let key = kind.json_key();
    let (_, value) = p.metrics.headline();
    let headline = p.metrics.headline_label();
    let classes = escape(&p.target.classes.join(", "));
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn · which {target}?</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#222}}
h1{{font-size:1.4em}} small{{color:#666}}
#drop{{border:2px dashed #8a8;border-radius:8px;padding:1.5em;text-align:center;background:#f6faf6}}
#drop.over{{background:#e3f2e3}}
.card{{display:flex;gap:1em;align-items:center;margin:.8em 0;padding:.6em;background:#f3f6f3;border-radius:6px}}
.card img{{width:112px;height:112px;object-fit:cover;border-radius:4px;background:#ddd}}
.card audio{{width:220px}}
.card .a{{flex:1}} .card b{{font-size:1.2em}}
.bar{{display:flex;align-items:center;gap:.5em;margin:.15em 0;font-size:.9em}}
.bar span.n{{width:30%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}
.bar .t{{flex:1;height:.9em;background:#dde}} .bar i{{display:block;height:100%;background:#2a6}}
.bar span.v{{width:4em;text-align:right;font-variant-numeric:tabular-nums}}
</style></head><body>
<h1>Which <code>{target}</code>?</h1>
<p><small>Model: {model} on {features} · test {headline} = {value:.4} · classes: {classes}</small></p>
<div id="drop"><p>Drop {things} here, or</p><input type="file" id="files" accept="{accept}" multiple></div>
<div id="out"></div>
<p><small>For programs: <code>POST /predict</code> with <code>multipart/form-data</code> (one file each) or
<code>{{"{key}":["&lt;base64&gt;", …]}}</code>; health at <a href="/health">/health</a>.</small></p>
<script>
const out = document.getElementById('out');
async function predict(files) {{
  out.textContent = '';
  if (!files.length) return;
  const form = new FormData();
  const cards = [];
  for (const f of files) {{
    form.append('file', f, f.name);
    const card = document.createElement('div'); card.className = 'card';
    card.innerHTML = '<{element}></{element}><div class="a"><small></small><br><b>…</b><div class="p"></div></div>';
    const media = card.querySelector('{element}');
    media.src = URL.createObjectURL(f);
    if ('{element}' === 'audio') media.controls = true; else media.alt = f.name;
    card.querySelector('small').textContent = f.name;
    out.appendChild(card); cards.push(card);
  }}
  try {{
    const r = await fetch('/predict', {{method:'POST', body: form}});
    const j = await r.json();
    if (!r.ok) {{ cards[0].querySelector('b').textContent = 'Error: ' + j.error; return; }}
    j.predictions.forEach((label, i) => {{
      const card = cards[i];
      card.querySelector('b').textContent = label;
      const probs = j.probabilities ? Object.entries(j.probabilities[i]).sort((a,b) => b[1] - a[1]) : [];
      for (const [k, v] of probs) {{
        const row = document.createElement('div'); row.className = 'bar';
        row.innerHTML = '<span class="n"></span><span class="t"><i></i></span><span class="v"></span>';
        row.querySelector('.n').textContent = k;
        row.querySelector('i').style.width = (100 * v).toFixed(1) + '%';
        row.querySelector('.v').textContent = (100 * v).toFixed(1) + '%';
        card.querySelector('.p').appendChild(row);
      }}
    }});
  }} catch (err) {{ cards[0].querySelector('b').textContent = 'Error: ' + err; }}
}}
document.getElementById('files').addEventListener('change', e => predict([...e.target.files]));
const drop = document.getElementById('drop');
drop.addEventListener('dragover', e => {{ e.preventDefault(); drop.classList.add('over'); }});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => {{ e.preventDefault(); drop.classList.remove('over'); predict([...e.dataTransfer.files]); }});
</script>
</body></html>
"#,
        target = escape(&p.target.name),
        model = escape(p.model_display_name()),
    )
}
