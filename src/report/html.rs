//! `report --html`: one self-contained page, readable with no network and
//! no script. Across passes: the scoreboard (the same figures as `report
//! --json`, each cell carrying its value in `data-figure`/`data-value`),
//! histograms of detection and recovery by fault kind, the holds. Then
//! each pass: its workload chart, detections, diagnosis, recovery and a
//! table of every undo.

use std::fmt::Write;
use std::time::Duration;

use super::Folded;
use super::passes::{PassRecord, Passes};
use super::svg;
use crate::app::scoreboard::{Quantiles, Summary};
use crate::cluster::FaultKind;
use crate::text::{seconds, stamp, thousands};

/// Text from a journal, safe inside an element or an attribute.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: sans-serif; margin: 2em auto; max-width: 920px; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.good { color: #2e8b57; } .bad { color: #c82828; } .warn { color: #a07600; }
.note { color: #555; font-size: 0.9em; }
.alert { border: 2px solid #c82828; padding: 0.5em 1em; }
figure { margin: 0.5em 0; }
.legend span { margin-right: 1.2em; }
.charts { display: flex; flex-wrap: wrap; gap: 0.5em; }
";

pub fn page(folded: &Folded, passes: &Passes) -> String {
    let mut page = String::new();
    let _ = writeln!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>chaosdeck report</title><style>{STYLE}</style></head><body>\n\
         <h1>chaosdeck report</h1>"
    );
    header(&mut page, folded);
    summary(&mut page, &folded.board.summary());
    histograms(&mut page, passes);
    holds(&mut page, passes);
    let _ = writeln!(page, "<h2>Passes</h2>");
    if passes.dropped > 0 {
        let _ = writeln!(
            page,
            "<p class=\"note\">{} earlier passes are counted in the figures above; \
             their pages are left out.</p>",
            passes.dropped
        );
    }
    if passes.passes.is_empty() {
        page.push_str("<p>No pass in these journals.</p>\n");
    }
    for pass in &passes.passes {
        pass_section(&mut page, pass);
    }
    page.push_str("</body></html>\n");
    page
}

fn header(page: &mut String, folded: &Folded) {
    page.push_str("<p class=\"note\">");
    for file in &folded.files {
        let _ = write!(page, "journal {}<br>", esc(file));
    }
    let _ = writeln!(
        page,
        "<span data-figure=\"entries\" data-value=\"{0}\">{0} entries</span>, \
         <span data-figure=\"damaged_lines\" data-value=\"{1}\">{1} damaged lines skipped</span></p>",
        folded.entries, folded.damaged
    );
    for gap in &folded.missing {
        let _ = writeln!(
            page,
            "<p class=\"warn\">missing {}: a gap in the rotated files, not counted</p>",
            esc(gap)
        );
    }
    for why in &folded.unreadable {
        let _ = writeln!(page, "<p class=\"warn\">unreadable {}</p>", esc(why));
    }
    if !folded.left.is_empty() {
        page.push_str("<div class=\"alert\"><strong>Left behind</strong> (the cluster may still be hurt):<ul>");
        for fault in &folded.left {
            let _ = write!(page, "<li>{}</li>", esc(&fault.line()));
        }
        page.push_str("</ul></div>\n");
    }
}

/// A figure's cell: the value as the screen writes it, the raw one in
/// `data-value` for any reader to check against `report --json`.
fn figure(key: &str, value: Option<f64>, shown: String) -> String {
    let raw = value.map_or_else(|| "null".to_string(), |v| v.to_string());
    format!(
        "<td class=\"n\" data-figure=\"{}\" data-value=\"{raw}\">{}</td>",
        esc(key),
        esc(&shown)
    )
}

fn count(key: &str, n: u64) -> String {
    figure(key, Some(n as f64), thousands(n as f64))
}

fn quantile_row(page: &mut String, key: &str, what: &str, q: &Quantiles) {
    let secs = |v: Option<f64>| v.map_or_else(|| "-".to_string(), seconds);
    let _ = writeln!(
        page,
        "<tr><td>{}</td>{}{}{}</tr>",
        esc(what),
        count(&format!("{key}.count"), q.count),
        figure(&format!("{key}.p50_s"), q.p50_s, secs(q.p50_s)),
        figure(&format!("{key}.p95_s"), q.p95_s, secs(q.p95_s)),
    );
}

fn summary(page: &mut String, s: &Summary) {
    page.push_str("<h2>Across passes</h2>\n<table>\n");
    let _ = writeln!(
        page,
        "<tr><th>passes</th>{}</tr>\n<tr><th>healthy at their end</th>{}</tr>\n\
         <tr><th>holds</th>{}</tr>\n<tr><th>restarts (unclean)</th>{}{}</tr>",
        count("passes", s.passes),
        count("healthy_passes", s.healthy_passes),
        count("holds", s.holds),
        count("restarts", s.restarts),
        count("unclean_restarts", s.unclean_restarts),
    );
    page.push_str("</table>\n<table><tr><th>fault</th><th>injected</th></tr>\n");
    for kind in FaultKind::ALL {
        let n = s.faults.get(kind.name()).copied().unwrap_or(0);
        let _ = writeln!(
            page,
            "<tr><td>{kind}</td>{}</tr>",
            count(&format!("faults.{}", kind.name()), n)
        );
    }
    page.push_str(
        "</table>\n<table><tr><th>time from the fault to each signal's first detection</th>\
         <th>n</th><th>p50</th><th>p95</th></tr>\n",
    );
    for (signal, q) in &s.detect {
        quantile_row(page, &format!("detect.{signal}"), signal, q);
    }
    page.push_str(
        "<tr><th>time from the recovery's start</th><th>n</th><th>p50</th><th>p95</th></tr>\n",
    );
    quantile_row(page, "recover", "to the cluster healthy", &s.recover);
    quantile_row(
        page,
        "load_back",
        "to the load at its baseline",
        &s.load_back,
    );
    page.push_str(
        "</table>\n<p class=\"note\">Quantiles are recorded values to a tenth of a second, \
         as <code>report --json</code> gives them.</p>\n",
    );
}

fn histograms(page: &mut String, passes: &Passes) {
    page.push_str("<h2>Detection and recovery by fault kind</h2>\n");
    if passes.detect_by_kind.is_empty() && passes.recover_by_kind.is_empty() {
        page.push_str("<p>No fault was detected or recovered in these journals.</p>\n");
        return;
    }
    page.push_str(
        "<p class=\"note\">Per pass: the fault to its first detection (any signal), and \
         the recovery's start to the cluster healthy.</p>\n",
    );
    for kind in FaultKind::ALL {
        let detect = passes.detect_by_kind.get(&kind);
        let recover = passes.recover_by_kind.get(&kind);
        if detect.is_none() && recover.is_none() {
            continue;
        }
        let _ = write!(page, "<h3>{kind}</h3>\n<div class=\"charts\">");
        if let Some(values) = detect {
            let what = format!("{kind}: time to detect ({})", passes_counted(values));
            page.push_str(&svg::histogram(&what, values, svg::DETECT_COLOUR));
        }
        if let Some(values) = recover {
            let what = format!("{kind}: time to recover ({})", passes_counted(values));
            page.push_str(&svg::histogram(&what, values, svg::RECOVER_COLOUR));
        }
        page.push_str("</div>\n");
    }
}

fn passes_counted(values: &[f64]) -> String {
    crate::text::count(values.len() as u64, "pass", "passes")
}

fn holds(page: &mut String, passes: &Passes) {
    let _ = writeln!(page, "<h2>Holds</h2>");
    if passes.holds.is_empty() {
        page.push_str("<p>The show never held.</p>\n");
        return;
    }
    page.push_str("<table><tr><th>when</th><th>run · pass</th><th>why</th></tr>\n");
    for hold in &passes.holds {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{} · {}</td><td>{}</td></tr>",
            esc(&when(hold.wall.as_deref(), hold.at)),
            hold.run,
            hold.pass,
            esc(&hold.why)
        );
    }
    page.push_str("</table>\n");
}

fn when(wall: Option<&str>, at: Duration) -> String {
    match wall {
        Some(wall) => wall.to_string(),
        None => format!("show time {}", stamp(at, None)),
    }
}

fn pass_section(page: &mut String, pass: &PassRecord) {
    let title = match &pass.fault {
        Some(f) => format!("{} of {}", f.spec, f.service),
        None => "no fault injected".to_string(),
    };
    let _ = writeln!(
        page,
        "<h3 id=\"run{}-pass{}\">Run {} · pass {}: {}</h3>",
        pass.run,
        pass.pass,
        pass.run,
        pass.pass,
        esc(&title)
    );
    if let Some(wall) = &pass.wall {
        let _ = writeln!(page, "<p class=\"note\">began {}</p>", esc(wall));
    }
    match &pass.chart {
        Some(chart) => {
            page.push_str("<figure class=\"workload\">");
            page.push_str(&svg::workload(chart));
            page.push_str("<figcaption class=\"legend\">");
            for m in &chart.moments {
                let after = pass
                    .fault
                    .as_ref()
                    .map(|f| m.at.saturating_sub(f.at))
                    .map_or_else(|| stamp(m.at, None), |a| stamp(m.at, Some(a)));
                let _ = write!(
                    page,
                    "<span style=\"color:{}\"><b>{}</b> {} {}</span>",
                    svg::hex(svg::moment_colour(m.kind)),
                    m.kind.letter(),
                    m.kind.word(),
                    after
                );
            }
            if chart.window_from.is_some() {
                page.push_str("<span>shaded: the fault in place</span>");
            }
            page.push_str("</figcaption></figure>\n");
        }
        None => {
            page.push_str("<p class=\"note\">No workload chart was journalled for this pass.</p>\n")
        }
    }
    if !pass.detections.is_empty() {
        page.push_str("<table><tr><th>signal</th><th>first detected</th></tr>\n");
        for (signal, after) in &pass.detections {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                signal.name(),
                stamp(Duration::ZERO, Some(*after))
            );
        }
        page.push_str("</table>\n");
    }
    if let Some((took, text)) = &pass.diagnosis {
        let _ = writeln!(
            page,
            "<p><b>Diagnosis</b> ({} from the question): {}</p>",
            seconds(took.as_secs_f64()),
            esc(text.strip_prefix("DIAGNOSIS: ").unwrap_or(text))
        );
    }
    let mut recovery = Vec::new();
    if let Some(took) = pass.recovered {
        recovery.push(format!(
            "cluster healthy {} after the recovery began",
            seconds(took.as_secs_f64())
        ));
    }
    if let Some(took) = pass.load_back {
        recovery.push(format!(
            "load at its baseline after {}",
            seconds(took.as_secs_f64())
        ));
    }
    if !recovery.is_empty() {
        let _ = writeln!(page, "<p><b>Recovery</b>: {}</p>", recovery.join("; "));
    }
    undos(page, pass);
    match &pass.end {
        Some((true, text)) => {
            let _ = writeln!(page, "<p class=\"good\">{}</p>", esc(text));
        }
        Some((false, text)) => {
            let _ = writeln!(page, "<p class=\"bad\">{}</p>", esc(text));
        }
        None => page.push_str("<p class=\"warn\">The pass was cut short: no end journalled.</p>\n"),
    }
}

fn undos(page: &mut String, pass: &PassRecord) {
    if pass.undos.is_empty() {
        return;
    }
    page.push_str("<table><tr><th>undone</th><th>when</th><th>by</th><th>result</th></tr>\n");
    for undo in &pass.undos {
        let asked = match undo.after_fault {
            Some(after) => stamp(undo.at, Some(after)),
            None => when(undo.wall.as_deref(), undo.at),
        };
        let class = match undo.ok {
            Some(true) => "good",
            Some(false) => "bad",
            None => "warn",
        };
        let _ = writeln!(
            page,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            undo.recovery,
            esc(&undo.service),
            esc(&asked),
            undo.by.describe(),
            esc(undo
                .result
                .strip_prefix("RECOVERY: ")
                .unwrap_or(&undo.result))
        );
    }
    page.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_text_cannot_open_an_element() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
