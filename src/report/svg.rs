//! The report's charts as inline SVG, drawn with plotters: a pass's
//! workload (the fault window shaded, F/P/E/R at their moments) and the
//! histograms of detection and recovery by fault kind. Text is left to the
//! browser's fonts, so the page needs nothing but itself.

use std::time::Duration;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::app::pass_chart::{MomentKind, PassChart};
use crate::workload::tracker::BarLevel;

const WIDTH: u32 = 880;
const HEIGHT: u32 = 230;
const FONT: &str = "sans-serif";

/// The palette, one home: the screen's meaning of each colour.
const GOOD: RGBColor = RGBColor(46, 139, 87);
const WARN: RGBColor = RGBColor(214, 158, 0);
const BAD: RGBColor = RGBColor(200, 40, 40);
const MEAN: RGBColor = RGBColor(30, 80, 160);
const GREY: RGBColor = RGBColor(120, 120, 120);
const SHADE: RGBColor = RGBColor(255, 214, 214);

/// A bar's fill: its level's colour, lightened and opaque, so the shaded
/// window behind does not change its hue.
fn level_tint(level: BarLevel) -> RGBColor {
    let c = match level {
        BarLevel::Normal => GOOD,
        BarLevel::Warning => WARN,
        BarLevel::Degraded => BAD,
    };
    let lighten = |v: u8| v + (255 - v) / 2;
    RGBColor(lighten(c.0), lighten(c.1), lighten(c.2))
}

pub fn moment_colour(kind: MomentKind) -> RGBColor {
    if kind.is_good() { GOOD } else { BAD }
}

/// `#rrggbb`, for the page's legend beside a chart.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// What drawing on the SVG backend (which writes to a string) returns.
type SvgDrawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Where a chart is drawn: an SVG document in a string.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> SvgDrawn) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        // A chart that cannot be drawn leaves what was drawn; the page's
        // tables carry every figure anyway.
        if let Err(e) = draw(&root).and_then(|()| root.present()) {
            tracing::warn!("a report chart could not be drawn: {e}");
        }
    }
    out
}

/// The pass's workload: each bucket's lowest rate as a bar in its level's
/// colour (a stall stays visible), the mean as a line, the baseline dashed,
/// the fault's window shaded and the episode's moments as lettered lines.
pub fn workload(chart: &PassChart) -> String {
    svg((WIDTH, HEIGHT), |root| draw_workload(root, chart))
}

fn draw_workload(root: &Area<'_>, chart: &PassChart) -> SvgDrawn {
    root.fill(&WHITE)?;
    let secs = |d: Duration| d.as_secs_f64();
    let Some(first) = chart.points.first() else {
        return Ok(());
    };
    let from = secs(first.from);
    let to = chart
        .points
        .iter()
        .map(|p| secs(p.to))
        .chain(chart.window_to.map(secs))
        .chain(chart.moments.iter().map(|m| secs(m.at)))
        .fold(from + 1.0, f64::max);
    let top = chart
        .points
        .iter()
        .map(|p| p.mean)
        .chain(chart.baseline)
        .fold(1.0, f64::max)
        * 1.15;
    let mut cc = ChartBuilder::on(root)
        .margin(8)
        .margin_top(20)
        .x_label_area_size(34)
        .y_label_area_size(70)
        .build_cartesian_2d(from..to, 0.0..top)?;
    cc.configure_mesh()
        .disable_x_mesh()
        .x_labels(10)
        .y_labels(5)
        .x_label_formatter(&|s| crate::text::stamp(Duration::from_secs_f64(s.max(0.0)), None))
        .y_label_formatter(&|v| crate::text::thousands(*v))
        .x_desc("show time")
        .y_desc("ops/s")
        .label_style((FONT, 12))
        .draw()?;
    if let (Some(a), Some(b)) = (chart.window_from, chart.window_to) {
        cc.draw_series(std::iter::once(Rectangle::new(
            [(secs(a), 0.0), (secs(b), top)],
            SHADE.filled(),
        )))?;
    }
    // Each bar reaches the next bucket, so the chart has no false gaps.
    let ends = chart
        .points
        .iter()
        .skip(1)
        .map(|p| secs(p.from))
        .chain(std::iter::once(to));
    cc.draw_series(chart.points.iter().zip(ends).map(|(p, end)| {
        Rectangle::new(
            [(secs(p.from), 0.0), (end.max(secs(p.to)), p.min)],
            level_tint(p.level).filled(),
        )
    }))?;
    cc.draw_series(LineSeries::new(
        chart
            .points
            .iter()
            .map(|p| ((secs(p.from) + secs(p.to)) / 2.0, p.mean)),
        MEAN.stroke_width(2),
    ))?;
    if let Some(baseline) = chart.baseline {
        cc.draw_series(DashedLineSeries::new(
            [(from, baseline), (to, baseline)],
            6,
            4,
            GREY.stroke_width(1),
        ))?;
    }
    for m in &chart.moments {
        let x = secs(m.at);
        let colour = moment_colour(m.kind);
        cc.draw_series(std::iter::once(PathElement::new(
            vec![(x, 0.0), (x, top)],
            colour.stroke_width(2),
        )))?;
        cc.draw_series(std::iter::once(Text::new(
            m.kind.letter().to_string(),
            (x, top),
            (FONT, 14).into_font().color(&colour),
        )))?;
    }
    Ok(())
}

/// Seconds per bin: a round step giving at most a dozen bins over `max`;
/// half a second at least, so detections at 0.0 s read as such.
fn bin_width(max: f64) -> f64 {
    const STEPS: [f64; 10] = [0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0];
    STEPS
        .into_iter()
        .find(|step| max / step <= 12.0)
        .unwrap_or(600.0)
}

/// The counts of `values` (seconds) in bins of `width`, from 0.
pub fn bins(values: &[f64], width: f64) -> Vec<u32> {
    let max = values.iter().copied().fold(0.0, f64::max);
    let mut counts = vec![0u32; (max / width).floor() as usize + 1];
    for v in values {
        let i = ((v.max(0.0) / width).floor() as usize).min(counts.len() - 1);
        counts[i] += 1;
    }
    counts
}

/// One histogram: how many passes took how long, in `colour`.
pub fn histogram(what: &str, values: &[f64], colour: RGBColor) -> String {
    svg((420, 190), |root| {
        draw_histogram(root, what, values, colour)
    })
}

fn draw_histogram(root: &Area<'_>, what: &str, values: &[f64], colour: RGBColor) -> SvgDrawn {
    root.fill(&WHITE)?;
    let max = values.iter().copied().fold(0.0, f64::max);
    let width = bin_width(max);
    let counts = bins(values, width);
    // Ten bins at least, so one bin is not the whole axis.
    let right = counts.len().max(10) as f64 * width;
    let tallest = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut cc = ChartBuilder::on(root)
        .margin(8)
        .caption(what, (FONT, 14))
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(0.0..right, 0u32..tallest + 1)?;
    cc.configure_mesh()
        .disable_x_mesh()
        .x_labels(6)
        .y_labels(tallest.min(5) as usize + 1)
        .x_label_formatter(&|s| crate::text::seconds(*s))
        .y_desc("passes")
        .label_style((FONT, 11))
        .draw()?;
    cc.draw_series(
        counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| {
                let x = i as f64 * width;
                Rectangle::new([(x, 0), (x + width * 0.92, *n)], colour.filled())
            }),
    )?;
    Ok(())
}

pub const DETECT_COLOUR: RGBColor = MEAN;
pub const RECOVER_COLOUR: RGBColor = GOOD;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_count_every_value_from_zero() {
        assert_eq!(bin_width(15.2), 2.0);
        assert_eq!(bin_width(0.0), 0.5);
        assert_eq!(
            bins(&[0.0, 0.1, 1.9, 2.0, 15.2], 2.0),
            [3, 1, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(bins(&[], 1.0), [0]);
    }
}
