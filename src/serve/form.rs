//! The HTML page at `GET /`: a form generated from the pipeline's input schema, pre-filled with a
//! training row, that posts to `/predict` and shows the answer. No external assets.

use crate::data::ColumnKind;
use crate::features::FittedStep;
use crate::train::{Pipeline, Task};
use serde_json::Value;

pub use crate::util::escape;

fn example_text(p: &Pipeline, column: &str) -> String {
    match p.example.get(column) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn field(p: &Pipeline, name: &str, kind: ColumnKind) -> String {
    let id = format!("f{}", crate::util::hex(name.as_bytes()));
    let label = format!("<label for=\"{id}\">{}</label>", escape(name));
    let value = example_text(p, name);
    let data = format!("id=\"{id}\" data-col=\"{}\" data-kind=\"{}\"", escape(name), kind.label());
    let input = match kind {
        ColumnKind::Numeric => format!("<input type=\"number\" step=\"any\" {data} value=\"{}\">", escape(&value)),
        ColumnKind::Text => format!("<textarea rows=\"3\" {data}>{}</textarea>", escape(&value)),
        ColumnKind::Categorical => {
            let categories = p.fitted_recipe.steps.iter().find_map(|s| match s {
                FittedStep::OneHot { column, categories, .. } if column == name => Some(categories),
                _ => None,
            });
            match categories {
                Some(cats) => {
                    let options: String = cats
                        .iter()
                        .map(|c| {
                            let sel = if *c == value { " selected" } else { "" };
                            format!("<option{sel}>{}</option>", escape(c))
                        })
                        .collect();
                    format!("<select {data}>{options}</select>")
                }
                None => format!("<input type=\"text\" {data} value=\"{}\">", escape(&value)),
            }
        }
    };
    format!("<div class=\"row\">{label}{input}</div>\n")
}

pub fn page(p: &Pipeline) -> String {
    let fields: String = p.schema.columns.iter().map(|c| field(p, &c.name, c.kind)).collect();
    let (_, value) = p.metrics.headline();
    let headline = p.metrics.headline_label();
    let task_note = match p.target.task {
        Task::Regression => "a number".to_string(),
        Task::Forecast => "the next values of the series".to_string(),
        Task::Recommendation => "the rating this user would give this item".to_string(),
        Task::Classification => format!("one of: {}", escape(&p.target.classes.join(", "))),
        Task::Clustering => format!("the group of similar rows it belongs to ({} groups)", p.target.classes.len()),
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn · predict {target}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;max-width:720px;margin:2em auto;padding:0 1em;color:#222}}
h1{{font-size:1.4em}} .row{{display:flex;gap:1em;margin:.4em 0;align-items:center}}
label{{width:40%;font-weight:600}} input,select,textarea{{flex:1;padding:.3em;font:inherit}}
button{{padding:.5em 1.2em;font:inherit;background:#2a6;color:#fff;border:0;border-radius:4px;cursor:pointer}}
#out{{margin-top:1em;padding:1em;background:#f3f6f3;border-radius:6px;white-space:pre-wrap}}
small{{color:#666}}
#why{{margin-top:.6em;font-size:.9em}} .bar{{display:flex;align-items:center;gap:.5em;margin:.15em 0}}
.bar span.n{{width:35%;text-align:right;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}
.bar .t{{flex:1;display:flex;height:1em}} .bar .h{{width:50%;display:flex}} .bar .h.l{{justify-content:flex-end;border-right:1px solid #888}}
.bar i{{display:block;height:100%}} .bar i.p{{background:#2a6}} .bar i.m{{background:#c44}}
.bar span.v{{width:7em;font-variant-numeric:tabular-nums}}
</style></head><body>
<h1>Predict <code>{target}</code></h1>
<p><small>Model: {model} · {task} · test {headline} = {value:.4} · answer is {task_note}</small></p>
<form id="f">
{fields}<button type="submit">Predict</button>
</form>
<div id="out">Fill in the values and press Predict.</div>
<div id="why"></div>
<p><small>For programs: <code>POST /predict</code> with <code>{{"records":[{{...}}]}}</code>; health at <a href="/health">/health</a>.</small></p>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {{
  e.preventDefault();
  const rec = {{}};
  document.querySelectorAll('[data-col]').forEach(el => {{
    const v = el.value;
    rec[el.dataset.col] = el.dataset.kind === 'numeric' ? (v.trim() === '' ? null : Number(v)) : v;
  }});
  const out = document.getElementById('out');
  try {{
    const r = await fetch('/predict', {{method:'POST', headers:{{'content-type':'application/json'}}, body: JSON.stringify({{records:[rec]}})}});
    const j = await r.json();
    if (!r.ok) {{ out.textContent = 'Error: ' + j.error; return; }}
    let text = 'Prediction: ' + j.predictions[0];
    if (j.probabilities) {{
      text += '\n' + Object.entries(j.probabilities[0]).map(([k,v]) => k + ': ' + (100*v).toFixed(1) + '%').join('\n');
    }}
    out.textContent = text;
    showWhy(rec);
  }} catch (err) {{ out.textContent = 'Error: ' + err; }}
}});
async function showWhy(rec) {{
  const why = document.getElementById('why');
  why.textContent = '';
  const r = await fetch('/explain', {{method:'POST', headers:{{'content-type':'application/json'}}, body: JSON.stringify({{records:[rec]}})}});
  if (!r.ok) return;
  const e = (await r.json()).explanations[0];
  const items = Object.entries(e.contributions).filter(([k,v]) => v !== 0).sort((a,b) => Math.abs(b[1]) - Math.abs(a[1]));
  const top = Math.max(1e-12, ...items.map(([k,v]) => Math.abs(v)));
  const fmt = v => (v > 0 ? '+' : '') + Number(v.toPrecision(4));
  const head = document.createElement('p');
  head.textContent = 'Why: ' + e.output + ' = ' + Number(e.prediction.toPrecision(6)) + ', from the average ' + Number(e.base_value.toPrecision(6)) + ' plus:';
  why.appendChild(head);
  for (const [k,v] of items) {{
    const row = document.createElement('div'); row.className = 'bar';
    const w = (100 * Math.abs(v) / top).toFixed(1) + '%';
    row.innerHTML = '<span class="n"></span><span class="t"><span class="h l"><i class="m"></i></span><span class="h"><i class="p"></i></span></span><span class="v"></span>';
    row.querySelector('.n').textContent = k;
    row.querySelector(v < 0 ? 'i.m' : 'i.p').style.width = w;
    row.querySelector('.v').textContent = fmt(v);
    why.appendChild(row);
  }}
}}
</script>
</body></html>
"#,
        target = escape(&p.target.name),
        model = escape(p.model_display_name()),
        task = p.target.task.name(),
    )
}
