//! Workload: a sparkline coloured bar by bar (green normal, yellow below the
//! warning level, red degraded), with ops/s, baseline, p99, errors and a word.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, SparklineBar};

use super::{text, theme};
use crate::app::App;
use crate::workload::SampleSource;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let tracker = &app.tracker;
    let source = tracker.latest().map(|s| match s.source {
        SampleSource::Simulator => " · simulated YCSB",
        SampleSource::GoYcsb => " · go-ycsb",
        SampleSource::JavaYcsb => " · YCSB",
        SampleSource::StatusPortMetrics => " · TiKV status-port metrics",
        SampleSource::GoYcsbDataLoad => " · go-ycsb data load",
    });
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme::dim())
        .title(Span::styled(
            format!(" Workload{} ", source.unwrap_or("")),
            theme::title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [stats, chart] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(stats_line(app)), stats);

    // The newest bars on the right, one per sample.
    let width = usize::from(chart.width);
    let history: Vec<_> = tracker.history().collect();
    let start = history.len().saturating_sub(width);
    let max = tracker
        .baseline()
        .map(|b| b * 1.25)
        .into_iter()
        .chain(history.iter().map(|&(ops, _)| ops))
        .fold(1.0_f64, f64::max);
    // Every second gets at least the lowest glyph, so a stalled second still
    // shows, in its colour (the exact figure is in the stats line).
    // Rounded up: the sparkline's integer scaling must not round it to nothing.
    let max = max.round() as u64;
    let floor = max.div_ceil(8 * u64::from(chart.height.max(1)));
    let bars: Vec<SparklineBar> = history[start..]
        .iter()
        .map(|&(ops, level)| {
            SparklineBar::from((ops.max(0.0).round() as u64).max(floor)).style(theme::bar(level))
        })
        .collect();
    frame.render_widget(Sparkline::default().data(bars).max(max), chart);
}

fn stats_line(app: &App) -> Line<'static> {
    let tracker = &app.tracker;
    let (symbol, style) = theme::workload_status(tracker.status());
    let mut spans = vec![Span::styled(
        format!("{symbol} {}", tracker.status().label()),
        style.add_modifier(Modifier::BOLD),
    )];
    if let Some(sample) = tracker.latest() {
        spans.push(Span::raw(format!(
            "  {} ops/s",
            text::thousands(sample.ops_per_sec)
        )));
        spans.push(Span::styled(
            format!(
                "  baseline {}",
                tracker.baseline().map_or("…".into(), text::thousands)
            ),
            theme::dim(),
        ));
        spans.push(Span::raw(format!(
            "  p99 {}",
            sample.p99.map_or("-".into(), text::latency)
        )));
        let errors = sample.errors_per_sec;
        let error_style = if errors > 0.0 {
            theme::bold().fg(theme::BAD)
        } else {
            theme::dim()
        };
        spans.push(Span::styled(
            format!("  errors {}/s", text::thousands(errors)),
            error_style,
        ));
    } else {
        spans.push(Span::styled("  no samples yet", theme::dim()));
    }
    Line::from(spans)
}
