// Carbone as a peer stage of docgen's benchmark: fill the translated Beschlussvorlage template
// (make_template.py) with each input and convert it to PDF in Carbone's own LibreOffice workers.
//
//   node carbone_bench.js --template T.docx --inputs list.json --out DIR --factories N [--fill-only]
//
// Prints one JSON line: {"seconds": wall time of the timed part, "per_doc": [s, ...], "pids": [...]}.
// Start-up of the factories and 2 × N warm-up documents are not timed (as for docgen's stages).
'use strict';
const fs = require('fs');
const path = require('path');
const carbone = require('carbone');

function arg(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

// docgen's rich text (a string, or a list of strings, {ueberschrift}, {liste}, {tabelle}) as
// Carbone can loop over it: its paragraphs and its table rows.
function rich(value) {
  const absaetze = [];
  const zeilen = [];
  for (const block of (Array.isArray(value) ? value : (value == null ? [] : [value]))) {
    if (typeof block === 'string') absaetze.push({ t: block });
    else if (block.ueberschrift) absaetze.push({ t: block.ueberschrift });
    else if (block.liste) for (const item of block.liste) absaetze.push({ t: '– ' + item });
    else if (block.tabelle) {
      for (const row of [block.tabelle.spalten || [], ...(block.tabelle.zeilen || [])]) {
        zeilen.push({ a: row[0] || '', b: row.slice(1, -1).join(' · '), c: row.length > 1 ? row[row.length - 1] : '' });
      }
    }
  }
  return { absaetze, zeilen };
}

function view(d) {
  const v = d.vorlage;
  const datum = (s) => (s ? s.split('-').reverse().join('.') : 'noch offen');
  const kopf = [
    { k: 'Vorlagen-Nr.', v: v.nummer }, { k: 'Datum', v: datum(v.datum) },
    { k: 'Status', v: v.oeffentlich ? 'öffentlich' : 'nichtöffentlich' },
    { k: 'Federführend', v: v.federfuehrend },
  ];
  if (v.beteiligt && v.beteiligt.length) kopf.push({ k: 'Beteiligt', v: v.beteiligt.join(', ') });
  if (v.aktenzeichen) kopf.push({ k: 'Aktenzeichen', v: v.aktenzeichen });
  if (v.verfasser) kopf.push({ k: 'Sachbearbeitung', v: v.verfasser });
  const auswirkungen = [];
  const tabellen = { absaetze: [], zeilen: [] };
  for (const [titel, inhalt] of Object.entries(d.auswirkungen || {})) {
    const r = rich(inhalt);
    auswirkungen.push({ titel: titel[0].toUpperCase() + titel.slice(1), absaetze: r.absaetze });
    tabellen.zeilen.push(...r.zeilen);
  }
  const f = d.freigabe && d.freigabe.unterzeichnung;
  return {
    koerperschaft: d.koerperschaft || { name: 'Kreis Musterland', verwaltungsspitze: 'Der Landrat' },
    vorlage: v,
    kopf,
    beratungsfolge: (d.beratungsfolge || []).map((b) => ({ ...b, datum: datum(b.datum) })),
    beschlussvorschlag: rich(d.beschlussvorschlag),
    sachlage: rich(d.sachlage),
    rechtslage_titel: d.rechtslage ? [{ t: 'Rechtslage' }] : [],
    rechtslage: rich(d.rechtslage),
    nichtoeffentlich: v.oeffentlich ? [] : [{ t: 'Begründung der Nichtöffentlichkeit' },
      { t: v.begruendung_nichtoeffentlichkeit || '' }],
    auswirkungen,
    auswirkungen_tabellen: tabellen,
    unterzeichnung: f ? [{ t: f.zusatz || '' }, { t: 'gez. ' + f.name }, { t: f.funktion }]
      : [{ t: 'Entwurf – noch nicht freigegeben' }],
    anlagen: (d.anlagen || []).map((a, i) => ({ nr: i + 1, titel: a.titel })),
    keine: (d.anlagen || []).length ? [] : [{ t: 'keine' }],
  };
}

function renderOne(template, input, out, fillOnly) {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const data = view(JSON.parse(fs.readFileSync(input, 'utf8')));
    // The same PDF export options as docgen (PDF/A-2b, tagged, bookmarks); see the report for
    // whether Carbone 3 passes them on.
    const options = fillOnly ? {} : { convertTo: { formatName: 'pdf', formatOptions: {
      SelectPdfVersion: 2, UseTaggedPDF: true, ExportBookmarks: true } } };
    carbone.render(template, data, options, (err, result) => {
      if (err) return reject(new Error(`${input}: ${err}`));
      fs.writeFileSync(out, result);
      resolve(Number(process.hrtime.bigint() - began) / 1e9);
    });
  });
}

async function main() {
  const template = path.resolve(arg('--template'));
  const inputs = JSON.parse(fs.readFileSync(arg('--inputs'), 'utf8'));
  const out = arg('--out');
  const factories = Number(arg('--factories', '1'));
  const fillOnly = process.argv.includes('--fill-only');
  fs.mkdirSync(out, { recursive: true });
  carbone.set({ factories, startFactory: !fillOnly, tempPath: out, lang: 'de' });
  const ext = fillOnly ? '.docx' : '.pdf';
  const name = (p) => path.join(out, path.basename(p, '.json') + ext);
  // untimed warm-up: every factory has loaded the filters once
  await Promise.all(inputs.slice(0, 2 * factories).map((p, i) =>
    renderOne(template, p, path.join(out, `warmup-${i}${ext}`), fillOnly)));
  // timed: at most `factories` documents in flight, like docgen's N processes
  const perDoc = [];
  let next = 0;
  const began = process.hrtime.bigint();
  async function lane() {
    while (next < inputs.length) {
      const p = inputs[next++];
      perDoc.push(await renderOne(template, p, name(p), fillOnly));
    }
  }
  await Promise.all(Array.from({ length: factories }, lane));
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, per_doc: perDoc }) + '\n');
  carbone.set({ factories: 0 });
  process.exit(0);
}

main().catch((err) => { console.error(String(err && err.stack || err)); process.exit(1); });
