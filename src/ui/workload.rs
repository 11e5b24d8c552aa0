//! Workload: the stats line, then the chart of the whole pass, column by
//! column (each the lowest rate of its time span, coloured by level), the
//! baseline and the two thresholds as lines, the fault window shaded, and
//! a row of markers (F fault, P PD's verdict, E leaders re-elected, R
//! recovered) named in the legend under the chart.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::paint;
use super::theme::Theme;
use super::view::chart::Chart;
use super::view::{Tone, Workload, lay};
use crate::workload::tracker::BarLevel;
use unicode_width::UnicodeWidthStr;

const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

pub fn level_tone(level: BarLevel) -> Tone {
    match level {
        BarLevel::Normal => Tone::Good,
        BarLevel::Warning => Tone::Warn,
        BarLevel::Degraded => Tone::Bad,
    }
}

pub fn render(workload: &Workload, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    // One row inside: the stats go in the border (where they fit it
    // whole), so the row shows the bars.
    // The source (`· simulated YCSB`) goes first where the row is short.
    let in_border = (area.height <= 3)
        .then(|| {
            [workload.title.as_str(), " Workload "]
                .into_iter()
                .find(|title| workload.stats.width() + title.width() < width)
        })
        .flatten();
    let block = match in_border {
        Some(title) => paint::block_with(title, &workload.stats.pieces, theme),
        None => paint::block(&workload.title, theme),
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let stats = if in_border.is_some() {
        Vec::new()
    } else {
        lay(&workload.stats, width)
    };
    let stats_rows = (stats.len() as u16).min(inner.height);
    let lines: Vec<_> = stats.iter().map(|l| paint::line(l, theme)).collect();
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: stats_rows,
            ..inner
        },
    );
    let mut chart = Rect {
        y: inner.y + stats_rows,
        height: inner.height - stats_rows,
        ..inner
    };
    let has_markers = !workload.chart.markers.is_empty();
    // The whole legend where the bars keep three rows; else, where it fits
    // one line, the markers and their times (with a row of bars kept).
    let mut legend = lay(&workload.legend, width);
    if usize::from(chart.height) < legend.len() + 4 {
        legend = lay(&workload.legend_short, width);
        if legend.len() > 1 || chart.height < 3 {
            legend.clear();
        }
    }
    if has_markers && !legend.is_empty() {
        let rows = legend.len() as u16;
        let at = Rect {
            y: chart.y + chart.height - rows,
            height: rows,
            ..chart
        };
        let lines: Vec<_> = legend.iter().map(|l| paint::line(l, theme)).collect();
        frame.render_widget(Paragraph::new(lines), at);
        chart.height -= rows;
    }
    draw_chart(
        &workload.chart,
        has_markers && chart.height >= 2,
        theme,
        frame.buffer_mut(),
        chart,
    );
}

/// The bars, lines and markers into `area` of the buffer.
pub fn draw_chart(chart: &Chart, marker_row: bool, theme: &Theme, buf: &mut Buffer, area: Rect) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let width = usize::from(area.width);
    let columns = chart.columns(width);
    let bars_top = area.y + u16::from(marker_row);
    let rows = usize::from(area.height - u16::from(marker_row));
    if rows == 0 {
        return;
    }
    let scale = chart.scale();
    let eighths_of = |v: f64| ((v / scale) * (rows * 8) as f64).round() as usize;
    // The row a level's line is drawn in (from the top of the bars).
    let row_of = |v: f64| {
        let from_bottom = ((v / scale) * rows as f64).floor() as usize;
        rows.saturating_sub(1)
            .saturating_sub(from_bottom.min(rows - 1))
    };
    let lines: Vec<(usize, &str, Tone)> = [
        (chart.degraded, "┈", Tone::Bad),
        (chart.warn, "╌", Tone::Warn),
        (chart.baseline, "─", Tone::Label),
    ]
    .into_iter()
    // Lines need rows to stand apart from each other.
    .filter(|_| rows >= 3)
    .filter_map(|(v, s, t)| v.map(|v| (row_of(v), s, t)))
    .collect();
    for (x, column) in columns.iter().enumerate() {
        let cx = area.x + x as u16;
        if marker_row {
            let cell = &mut buf[(cx, area.y)];
            if let Some(marker) = column.marker {
                cell.set_symbol(&marker.letter.to_string());
                cell.set_style(theme.style(marker.tone));
            } else if column.shaded {
                // The window without colour too.
                cell.set_symbol("─");
                cell.set_style(theme.style(Tone::Bad));
            }
        }
        let eighths = column.ops.map(|v| eighths_of(v).max(1));
        for row in 0..rows {
            let cell = &mut buf[(cx, bars_top + row as u16)];
            let bottom = (rows - 1 - row) * 8;
            let fill = eighths.map_or(0, |e| e.saturating_sub(bottom).min(8));
            if fill > 0 {
                cell.set_symbol(EIGHTHS[fill]);
                let tone = column.level.map_or(Tone::Label, level_tone);
                cell.set_style(theme.style(tone));
            } else if let Some((_, symbol, tone)) = lines.iter().rev().find(|(r, _, _)| *r == row) {
                cell.set_symbol(symbol);
                cell.set_style(theme.style(*tone));
            } else if column.marker.is_some() && marker_row {
                cell.set_symbol("┊");
                cell.set_style(theme.style(column.marker.map_or(Tone::Label, |m| m.tone)));
            }
            if column.shaded {
                cell.set_style(theme.shade());
            }
        }
    }
}
