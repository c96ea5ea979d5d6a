//! `mqtk bench plot`: draws one or more bench reports (their JSON) as one SVG. The top panel
//! is each report's headline latency as a percentile distribution on HdrHistogram's "nines"
//! axis; the bottom panel is each report's per-second rate (left axis) and p99 (right axis)
//! over time. Reports are read and checked in full before anything is drawn, so an error
//! names the report and the field, and a report that lacks one part only loses that line.

use std::path::Path;

use crate::error::{io_reason, shorten_path, Failure};

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::element::PointCollection;
use plotters::prelude::*;
use serde_json::Value;

const WIDTH: u32 = 1200;
const DISTRIBUTION_HEIGHT: u32 = 520;
const SECONDS_HEIGHT: u32 = 440;
/// HdrHistogram's own percentile output steps this many times per halving of the distance
/// to 100 %: points crowd in where the tail is, and the plot matches its plotter's.
const TICKS_PER_HALF_DISTANCE: u32 = 5;
/// The nines axis shows at least 99 % (a short run still reads on the usual scale) and at
/// most 99.99999999 % (past that even a long run has too few samples to say anything).
const MIN_NINES: i32 = 2;
const MAX_NINES: i32 = 10;
/// Tableau's ten colours: told apart easily, none of them black (black is reserved for the
/// grid and axes: `name_series_lines` relies on that).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One report to draw, and the name it goes by in the legend.
pub struct PlotInput {
    pub label: String,
    pub report: serde_json::Value,
}

/// Draws the SVG to `out`. Errors are anyhow errors whose message names the report label and
/// the missing/invalid field.
pub fn draw(inputs: &[PlotInput], out: &Path) -> anyhow::Result<()> {
    let svg = render(inputs)?;
    std::fs::write(out, svg).with_context(|| format!("cannot write {}", out.display()))
}

/// The same, returning the SVG text (draw writes this).
pub fn render(inputs: &[PlotInput]) -> anyhow::Result<String> {
    if inputs.is_empty() {
        bail!("no report to plot");
    }
    let reports = inputs
        .iter()
        .map(read_report)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let has_distribution = reports.iter().any(|r| r.distribution.is_ok());
    let has_seconds = reports.iter().any(|r| !r.rate.is_empty());
    if !has_distribution && !has_seconds {
        let reasons: Vec<String> = reports
            .iter()
            .filter_map(|r| {
                let reason = r.distribution.as_ref().err()?;
                Some(format!("{}: {reason}, and `series` is empty", r.label))
            })
            .collect();
        bail!("nothing to plot ({})", reasons.join("; "));
    }
    // What a report lacks is said in a legend: the panel's own, or the other one's when
    // that panel is not drawn at all.
    let distribution_notes: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            let reason = r.distribution.as_ref().err()?;
            Some(format!("{}: no latency distribution ({reason})", r.label))
        })
        .collect();
    let seconds_notes: Vec<String> = reports
        .iter()
        .filter(|r| r.rate.is_empty())
        .map(|r| format!("{}: no per-second series (empty `series`)", r.label))
        .collect();

    let height = match (has_distribution, has_seconds) {
        (true, true) => DISTRIBUTION_HEIGHT + SECONDS_HEIGHT,
        (true, false) => DISTRIBUTION_HEIGHT,
        (false, _) => SECONDS_HEIGHT,
    };
    let mut svg = String::new();
    // The names of the lines drawn, in drawing order.
    let mut series_names = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        match (has_distribution, has_seconds) {
            (true, true) => {
                let (top, bottom) = root.split_vertically(DISTRIBUTION_HEIGHT);
                draw_distribution(&top, &reports, &distribution_notes, &mut series_names)?;
                draw_seconds(&bottom, &reports, &seconds_notes, &mut series_names)?;
            }
            (true, false) => {
                let notes = [distribution_notes, seconds_notes].concat();
                draw_distribution(&root, &reports, &notes, &mut series_names)?;
            }
            (false, _) => {
                let notes = [distribution_notes, seconds_notes].concat();
                draw_seconds(&root, &reports, &notes, &mut series_names)?;
            }
        }
        root.present()?;
    }
    Ok(name_series_lines(&svg, &series_names))
}

/// A line's points in the chart's own units.
type Line = Vec<(f64, f64)>;

/// A report's headline latency by percentile.
struct Distribution {
    /// Which latency it is ("connect latency", …).
    what: &'static str,
    /// (1/(1-q), latency in ms), rising in x.
    points: Line,
}

/// What one report contributes, read and checked.
struct ReportCurves {
    label: String,
    /// The headline latency, or why the report has none to draw.
    distribution: Result<Distribution, String>,
    /// The series column the rate is read from (`received`, `acked`, `sent`, `connected`).
    rate_column: &'static str,
    /// (seconds, value of `rate_column`), one point a second.
    rate: Line,
    /// (seconds, p99 in ms); seconds with no latency sample are left out.
    p99_ms: Line,
}

fn read_report(input: &PlotInput) -> anyhow::Result<ReportCurves> {
    let label = input.label.as_str();
    let report = &input.report;
    let mode = report
        .get("mode")
        .ok_or_else(|| anyhow!("report '{label}': `mode` is missing"))?;
    let mode = mode
        .as_str()
        .ok_or_else(|| anyhow!("report '{label}': `mode` is {mode}, not a string"))?;
    // The mode decides which latency is the headline and which counter is the rate, the
    // same choices the bench's own summary makes.
    let (headline, rate_column) = match mode {
        "conn" => (Ok(("connect", "connect latency")), "connected"),
        "sub" | "pubsub" => (
            Ok(("e2e_corrected", "end-to-end latency (corrected)")),
            "received",
        ),
        "pub" => {
            let qos = report
                .get("config")
                .and_then(|c| c.get("qos"))
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    anyhow!("report '{label}': `config.qos` is missing or not a number")
                })?;
            if qos > 0 {
                (Ok(("ack", "publish-to-ack latency")), "acked")
            } else {
                (Err("pub at QoS 0 has no acks to time".to_string()), "sent")
            }
        }
        other => bail!("report '{label}': `mode` is {other:?}; expected conn, pub, sub or pubsub"),
    };
    let distribution = match headline {
        Ok((key, what)) => {
            read_distribution(label, report, key)?.map(|points| Distribution { what, points })
        }
        Err(reason) => Err(reason),
    };
    let (rate, p99_ms) = read_seconds(label, report, rate_column)?;
    Ok(ReportCurves {
        label: label.to_string(),
        distribution,
        rate_column,
        rate,
        p99_ms,
    })
}

/// The percentile points of `histograms.<key>`; Ok(Err(reason)) when the report has none to
/// draw (a run that never timed that latency leaves it null).
fn read_distribution(
    label: &str,
    report: &Value,
    key: &str,
) -> anyhow::Result<Result<Line, String>> {
    let encoded = match report.get("histograms") {
        None | Some(Value::Null) => return Ok(Err("no `histograms`".to_string())),
        Some(Value::Object(histograms)) => histograms.get(key),
        Some(other) => bail!("report '{label}': `histograms` is {other}, not an object"),
    };
    let encoded = match encoded {
        None | Some(Value::Null) => return Ok(Err(format!("no `histograms.{key}`"))),
        Some(Value::String(encoded)) => encoded,
        Some(_) => bail!("report '{label}': `histograms.{key}` is not a string"),
    };
    let histogram = decode_histogram(encoded).with_context(|| {
        format!("report '{label}': `histograms.{key}` is not a base64 V2 HdrHistogram")
    })?;
    let points = percentile_points(&histogram);
    if points.is_empty() {
        return Ok(Err(format!("`histograms.{key}` is empty")));
    }
    Ok(Ok(points))
}

fn decode_histogram(encoded: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim())?;
    let histogram =
        hdrhistogram::serialization::Deserializer::new().deserialize(&mut &bytes[..])?;
    Ok(histogram)
}

/// (1/(1-q), latency in ms) at HdrHistogram's percentile steps, as its percentile output
/// lists them. The last step, q = 1, would sit at infinity: HdrHistogram's plotter leaves it
/// out too.
fn percentile_points(histogram: &Histogram<u64>) -> Line {
    histogram
        .iter_quantiles(TICKS_PER_HALF_DISTANCE)
        .map(|step| (step.quantile_iterated_to(), step.value_iterated_to()))
        .filter(|&(quantile, _)| quantile < 1.0)
        .map(|(quantile, ns)| (1.0 / (1.0 - quantile), ns as f64 / 1e6))
        .collect()
}

/// The rate line and the p99 line of the report's `series`.
fn read_seconds(label: &str, report: &Value, rate_column: &str) -> anyhow::Result<(Line, Line)> {
    let seconds = report
        .get("series")
        .ok_or_else(|| anyhow!("report '{label}': `series` is missing"))?
        .as_array()
        .ok_or_else(|| anyhow!("report '{label}': `series` is not an array"))?;
    let mut rate = Vec::with_capacity(seconds.len());
    let mut p99_ms = Vec::with_capacity(seconds.len());
    for (i, second) in seconds.iter().enumerate() {
        let count = |field: &str| {
            second.get(field).and_then(Value::as_u64).ok_or_else(|| {
                anyhow!("report '{label}': `series[{i}].{field}` is missing or not a count")
            })
        };
        let t = count("t_s")? as f64;
        rate.push((t, count(rate_column)? as f64));
        match second.get("p99_us") {
            None | Some(Value::Null) => {}
            Some(value) => {
                let us = value.as_f64().ok_or_else(|| {
                    anyhow!("report '{label}': `series[{i}].p99_us` is {value}, not a number")
                })?;
                p99_ms.push((t, us / 1e3));
            }
        }
    }
    // Lines are drawn in order of x; a report's seconds already are, but a hand-merged one
    // need not be.
    rate.sort_by(|a, b| a.0.total_cmp(&b.0));
    p99_ms.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok((rate, p99_ms))
}

/// The line colour of the i-th report: past the palette it repeats, darker each round, so
/// that every report still gets a colour of its own.
fn report_colour(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = PALETTE[i % PALETTE.len()];
    let round = (i / PALETTE.len()) as f64;
    let shade = |c: u8| (f64::from(c) * 0.8f64.powf(round)).round() as u8;
    not_black(RGBColor(shade(r), shade(g), shade(b)))
}

/// A darker shade of a report's colour, for its p99 line beside its rate line.
fn p99_colour(colour: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = colour;
    let shade = |c: u8| (f64::from(c) * 0.55).round() as u8;
    not_black(RGBColor(shade(r), shade(g), shade(b)))
}

/// Pure black is the grid's: a shade that rounds down to it is lifted one step.
fn not_black(colour: RGBColor) -> RGBColor {
    match colour {
        RGBColor(0, 0, 0) => RGBColor(0, 0, 1),
        other => other,
    }
}

/// A line through `points` in `colour`. A line of one point would not show: that one gets
/// a dot.
fn line<DB: DrawingBackend>(
    points: impl IntoIterator<Item = (f64, f64)>,
    colour: RGBColor,
    stroke_width: u32,
) -> LineSeries<DB, (f64, f64)> {
    let points: Line = points.into_iter().collect();
    let single = points.len() == 1;
    let series = LineSeries::new(points, colour.stroke_width(stroke_width));
    if single {
        series.point_size(stroke_width + 2)
    } else {
        series
    }
}

/// The legend swatch of a line: a filled rectangle as thick as the line looks like it but,
/// unlike a path, is not a polyline, so the series stay the only coloured polylines in the
/// SVG.
fn swatch(colour: RGBColor, stroke_width: i32) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| {
        let top = y - stroke_width / 2;
        Rectangle::new([(x, top), (x + 20, top + stroke_width)], colour.filled())
    }
}

/// The percentile label of the nines-axis point x = 1/(1-q) = 10^n: 0 %, 90 %, 99 %, 99.9 %…
fn nines_label(x: f64) -> String {
    // The axis' key points are exact powers of ten.
    match x.log10().round() as i32 {
        n if n <= 0 => "0%".to_string(),
        1 => "90%".to_string(),
        2 => "99%".to_string(),
        n => format!("99.{}%", "9".repeat(n as usize - 2)),
    }
}

/// Axis numbers in a few characters: 950, 12k, 1.5M.
fn compact(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.1}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

/// The top of a value axis: a little above the highest value, and never an empty range.
fn axis_top(values: impl Iterator<Item = f64>) -> f64 {
    let highest = values.fold(0.0, f64::max);
    if highest > 0.0 {
        highest * 1.08
    } else {
        1.0
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Legend lines that name no series: what a report lacks.
fn legend_notes<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    notes: &[String],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
    for<'b> &'b PathElement<CT::From>: PointCollection<'b, CT::From>,
{
    for note in notes {
        // A series with no points: the legend shows its text without a swatch.
        chart
            .draw_series(std::iter::empty::<PathElement<CT::From>>())?
            .label(note.as_str());
    }
    Ok(())
}

fn draw_distribution(
    area: &Area,
    reports: &[ReportCurves],
    notes: &[String],
    series_names: &mut Vec<String>,
) -> anyhow::Result<()> {
    let highest_x = reports
        .iter()
        .filter_map(|r| r.distribution.as_ref().ok())
        .flat_map(|d| d.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let nines = (highest_x.log10().ceil() as i32).clamp(MIN_NINES, MAX_NINES);
    let x_end = 10f64.powi(nines);
    let in_range = |p: &&(f64, f64)| p.0 <= x_end;
    let y_top = axis_top(
        reports
            .iter()
            .filter_map(|r| r.distribution.as_ref().ok())
            .flat_map(|d| d.points.iter().filter(in_range).map(|p| p.1)),
    );
    let key_points: Vec<f64> = (0..=nines).map(|n| 10f64.powi(n)).collect();

    let mut chart = ChartBuilder::on(area)
        .caption("Latency by percentile", ("sans-serif", 20))
        .margin(12)
        // The same right margin as the panel below, whose right axis is the p99's, so
        // that the two panels line up.
        .margin_right(12 + 60)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (1.0..x_end).log_scale().with_key_points(key_points),
            0.0..y_top,
        )?;
    chart
        .configure_mesh()
        .bold_line_style(BLACK.mix(0.15))
        // One grid line per labelled value is enough to read by; plotters' finer ones only
        // clutter (and are not drawn at all when transparent).
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK)
        .x_label_formatter(&|x| nines_label(*x))
        .x_desc("percentile")
        .y_desc("latency (ms)")
        .draw()?;
    for (i, report) in reports.iter().enumerate() {
        let Ok(Distribution { what, points }) = &report.distribution else {
            continue;
        };
        let colour = report_colour(i);
        let name = format!("{}: {what}", report.label);
        chart
            .draw_series(line(points.iter().filter(in_range).copied(), colour, 2))?
            .label(name.as_str())
            .legend(swatch(colour, 2));
        series_names.push(name);
    }
    legend_notes(&mut chart, notes)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

fn draw_seconds(
    area: &Area,
    reports: &[ReportCurves],
    notes: &[String],
    series_names: &mut Vec<String>,
) -> anyhow::Result<()> {
    let x_end = reports
        .iter()
        .flat_map(|r| r.rate.iter().map(|p| p.0))
        .fold(0.0, f64::max)
        .max(1.0);
    let rate_top = axis_top(reports.iter().flat_map(|r| r.rate.iter().map(|p| p.1)));
    let p99_top = axis_top(reports.iter().flat_map(|r| r.p99_ms.iter().map(|p| p.1)));
    let drawn_reports = || reports.iter().filter(|r| !r.rate.is_empty());
    // conn counts clients that are connected, the other modes count messages a second.
    let rate_desc = match (
        drawn_reports().any(|r| r.rate_column == "connected"),
        drawn_reports().all(|r| r.rate_column == "connected"),
    ) {
        (_, true) => "clients connected",
        (true, false) => "messages/s (conn: clients connected)",
        (false, false) => "messages/s",
    };

    let mut chart = ChartBuilder::on(area)
        .caption("Rate and p99 latency per second", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..x_end, 0.0..rate_top)?
        // plotters' second y axis, on the right, for the p99: rate and latency share the time
        // axis, and a third panel would only repeat it.
        .set_secondary_coord(0.0..x_end, 0.0..p99_top);
    chart
        .configure_mesh()
        .bold_line_style(BLACK.mix(0.15))
        // One grid line per labelled value is enough to read by; plotters' finer ones only
        // clutter (and are not drawn at all when transparent).
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK)
        .y_label_formatter(&|v| compact(*v))
        .x_desc("seconds since the first connection attempt")
        .y_desc(rate_desc)
        .draw()?;
    chart
        .configure_secondary_axes()
        .axis_style(BLACK)
        .y_desc("p99 latency (ms), thin lines")
        .draw()?;
    for (i, report) in reports.iter().enumerate() {
        if report.rate.is_empty() {
            continue;
        }
        let colour = report_colour(i);
        let rate_name = match report.rate_column {
            "connected" => format!("{}: clients connected", report.label),
            column => format!("{}: {column}/s", report.label),
        };
        chart
            .draw_series(line(report.rate.iter().copied(), colour, 2))?
            .label(rate_name.as_str())
            .legend(swatch(colour, 2));
        series_names.push(rate_name);
        if report.p99_ms.is_empty() {
            continue;
        }
        let colour = p99_colour(colour);
        let p99_name = format!("{}: p99 ms (right axis)", report.label);
        chart
            .draw_secondary_series(line(report.p99_ms.iter().copied(), colour, 1))?
            .label(p99_name.as_str())
            .legend(swatch(colour, 1));
        series_names.push(p99_name);
    }
    legend_notes(&mut chart, notes)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Gives every series' polyline a `<title>` with its name: a browser shows it on hover, and
/// a test or a script finds each line by name. plotters writes elements in drawing order but
/// cannot name one, so names go by order: the series are the only polylines not stroked in
/// black (grid, axes and ticks are black; legend swatches are rectangles). If the count
/// does not match, the SVG is left as it is rather than mislabelled.
fn name_series_lines(svg: &str, names: &[String]) -> String {
    const OPEN: &str = "<polyline ";
    let is_series = |tag: &str| !tag.contains("stroke=\"#000000\"");
    let tags: Vec<(usize, usize)> = svg
        .match_indices(OPEN)
        .filter_map(|(start, _)| Some((start, start + svg[start..].find("/>")?)))
        .collect();
    let series_tags: Vec<(usize, usize)> = tags
        .into_iter()
        .filter(|&(start, end)| is_series(&svg[start..end]))
        .collect();
    debug_assert_eq!(series_tags.len(), names.len(), "series polylines vs names");
    if series_tags.len() != names.len() {
        return svg.to_string();
    }
    let mut named =
        String::with_capacity(svg.len() + names.iter().map(|n| n.len() + 30).sum::<usize>());
    let mut copied_to = 0;
    for ((_, end), name) in series_tags.into_iter().zip(names) {
        named.push_str(&svg[copied_to..end]);
        named.push_str("><title>");
        named.push_str(&escape_xml(name));
        named.push_str("</title></polyline>");
        copied_to = end + "/>".len();
    }
    named.push_str(&svg[copied_to..]);
    named
}

fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `mqtk bench plot`: reads the reports and writes the SVG.
pub fn run(args: &crate::cli::BenchPlotArgs) -> anyhow::Result<()> {
    let mut inputs = Vec::new();
    for path in &args.reports {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::NoInput(format!(
                "{}: cannot read it ({})",
                shorten_path(path),
                io_reason(&e)
            ))
        })?;
        let report: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
            Failure::Data(format!(
                "{}: not a bench report ({e}); give the file a run's --json wrote",
                shorten_path(path)
            ))
        })?;
        let label = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        inputs.push(PlotInput { label, report });
    }
    let svg = render(&inputs).map_err(|e| Failure::Data(format!("bench plot: {e}")))?;
    std::fs::write(&args.output, svg).map_err(|e| {
        Failure::NoInput(format!(
            "-o {}: cannot write the SVG ({})",
            shorten_path(&args.output),
            io_reason(&e)
        ))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
    use serde_json::json;

    /// A histogram as a report holds it: V2 deflate, base64, values in nanoseconds.
    fn encoded(values_ns: impl IntoIterator<Item = u64>) -> String {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        for value in values_ns {
            histogram.record(value).unwrap();
        }
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&histogram, &mut bytes)
            .unwrap();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// 10 000 latencies from `base_us` up, with a tail: 0.1 % are ten times slower.
    fn latencies(base_us: u64) -> Vec<u64> {
        (0..10_000u64)
            .map(|i| {
                let ns = (base_us + i % 500) * 1_000;
                if i % 1_000 == 999 {
                    ns * 10
                } else {
                    ns
                }
            })
            .collect()
    }

    fn seconds(rate: u64, p99_us: f64) -> Value {
        (1..=5u64)
            .map(|t| {
                json!({
                    "t_s": t, "connected": 20, "sent": rate, "acked": rate,
                    "received": rate + t, "errors": 0,
                    // The first second has no delivery yet: no p99.
                    "p99_us": if t == 1 { Value::Null } else { json!(p99_us + t as f64) },
                })
            })
            .collect()
    }

    fn pubsub(base_us: u64, rate: u64) -> Value {
        json!({
            "mode": "pubsub",
            "config": { "qos": 1 },
            "histograms": { "connect": null, "ack": null, "e2e_corrected": encoded(latencies(base_us)) },
            "series": seconds(rate, base_us as f64 * 1.5),
        })
    }

    fn input(label: &str, report: Value) -> PlotInput {
        PlotInput {
            label: label.to_string(),
            report,
        }
    }

    /// The text of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|element| {
                let (_, rest) = element.split_once('>')?;
                let (text, _) = rest.split_once("</text>")?;
                Some(text.trim().to_string())
            })
            .collect()
    }

    /// (name, points) of every named series line.
    fn series_lines(svg: &str) -> Vec<(String, Vec<(i32, i32)>)> {
        svg.split("<polyline ")
            .skip(1)
            .filter_map(|element| {
                let (tag, rest) = element.split_once('>')?;
                let name = rest.strip_prefix("<title>")?.split_once("</title>")?.0;
                let points = tag.split_once("points=\"")?.1.split_once('"')?.0;
                let points = points
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                Some((name.to_string(), points))
            })
            .collect()
    }

    fn coloured_polylines(svg: &str) -> usize {
        svg.split("<polyline ")
            .skip(1)
            .filter(|element| {
                !element
                    .split("/>")
                    .next()
                    .unwrap()
                    .contains("stroke=\"#000000\"")
            })
            .count()
    }

    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn two_reports_draw_one_line_per_series_in_both_panels() {
        let svg = render(&[
            input("alpha", pubsub(800, 1_000)),
            input("beta", pubsub(2_000, 900)),
        ])
        .unwrap();
        assert_well_formed(&svg);
        let texts = texts(&svg);
        for tick in ["0%", "90%", "99%", "99.9%"] {
            assert!(texts.iter().any(|t| t == tick), "no tick {tick}: {texts:?}");
        }
        let names: Vec<String> = series_lines(&svg).into_iter().map(|(n, _)| n).collect();
        let expected = [
            "alpha: end-to-end latency (corrected)",
            "beta: end-to-end latency (corrected)",
            "alpha: received/s",
            "alpha: p99 ms (right axis)",
            "beta: received/s",
            "beta: p99 ms (right axis)",
        ];
        assert_eq!(names, expected);
        // Each series is exactly one polyline, and nothing else is drawn in colour.
        assert_eq!(coloured_polylines(&svg), expected.len());
        for name in expected {
            assert!(texts.iter().any(|t| t == name), "legend lacks {name}");
        }
        assert!(texts.iter().any(|t| t == "p99 latency (ms), thin lines"));
    }

    #[test]
    fn the_percentile_line_rises_left_to_right() {
        let svg = render(&[input("alpha", pubsub(800, 1_000))]).unwrap();
        let lines = series_lines(&svg);
        let (_, points) = lines
            .iter()
            .find(|(name, _)| name.starts_with("alpha: end-to-end"))
            .unwrap();
        assert!(points.len() > 20, "{} points", points.len());
        for pair in points.windows(2) {
            assert!(pair[0].0 <= pair[1].0, "x goes back: {pair:?}");
            // Latency never falls as the percentile rises (pixel y grows downwards).
            assert!(pair[0].1 >= pair[1].1, "latency falls: {pair:?}");
        }
        // 10 000 samples reach past 99.9 %: the line goes most of the way across.
        assert!(points.last().unwrap().0 - points[0].0 > WIDTH as i32 / 2);
    }

    #[test]
    fn percentile_points_follow_the_nines() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        for ns in latencies(1_000) {
            histogram.record(ns).unwrap();
        }
        let points = percentile_points(&histogram);
        assert_eq!(points[0].0, 1.0, "starts at 0 %");
        assert!(points.windows(2).all(|p| p[0].0 < p[1].0));
        assert!(points.iter().all(|p| p.0.is_finite()));
        // The slowest 0.1 % are ten times the base: from 99.9 % (x = 1000) on, the tail.
        let tail = points.iter().find(|p| p.0 >= 1_000.0).unwrap();
        assert!(tail.1 >= 10.0, "{tail:?}");
    }

    #[test]
    fn an_empty_series_still_draws_the_distribution() {
        let mut report = pubsub(800, 1_000);
        report["series"] = json!([]);
        let svg = render(&[input("alpha", report), input("beta", pubsub(2_000, 900))]).unwrap();
        assert_well_formed(&svg);
        let names: Vec<String> = series_lines(&svg).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(!names.iter().any(|n| n == "alpha: received/s"));
        assert!(texts(&svg)
            .iter()
            .any(|t| t == "alpha: no per-second series (empty `series`)"));

        // With no seconds at all, only the distribution panel is drawn.
        let mut report = pubsub(800, 1_000);
        report["series"] = json!([]);
        let svg = render(&[input("alpha", report)]).unwrap();
        assert_well_formed(&svg);
        assert_eq!(series_lines(&svg).len(), 1);
        assert!(!svg.contains("Rate and p99"));
    }

    #[test]
    fn pub_at_qos_0_draws_only_the_time_panel_and_says_why() {
        let report = json!({
            "mode": "pub",
            "config": { "qos": 0 },
            "histograms": { "connect": encoded([1_000_000]), "ack": null },
            "series": seconds(500, 100.0),
        });
        let svg = render(&[input("fire-and-forget", report)]).unwrap();
        assert_well_formed(&svg);
        assert!(!svg.contains("Latency by percentile"));
        let texts = texts(&svg);
        assert!(texts
            .iter()
            .any(|t| t
                == "fire-and-forget: no latency distribution (pub at QoS 0 has no acks to time)"));
        let names: Vec<String> = series_lines(&svg).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "fire-and-forget: sent/s",
                "fire-and-forget: p99 ms (right axis)"
            ]
        );
    }

    #[test]
    fn each_mode_draws_its_own_latency_and_counter() {
        let conn = json!({
            "mode": "conn",
            "config": { "qos": 0 },
            "histograms": { "connect": encoded(latencies(3_000)) },
            "series": seconds(0, 3_000.0),
        });
        let publish = json!({
            "mode": "pub",
            "config": { "qos": 1 },
            "histograms": { "ack": encoded(latencies(500)) },
            "series": seconds(700, 600.0),
        });
        let svg = render(&[input("c", conn), input("p", publish)]).unwrap();
        let names: Vec<String> = series_lines(&svg).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "c: connect latency",
                "p: publish-to-ack latency",
                "c: clients connected",
                "c: p99 ms (right axis)",
                "p: acked/s",
                "p: p99 ms (right axis)",
            ]
        );
        assert!(texts(&svg)
            .iter()
            .any(|t| t == "messages/s (conn: clients connected)"));
    }

    #[test]
    fn one_point_lines_get_a_dot() {
        let report = json!({
            "mode": "conn",
            "config": { "qos": 0 },
            "histograms": { "connect": encoded([4_000_000]) },
            "series": [{ "t_s": 1, "connected": 1, "sent": 0, "acked": 0, "received": 0,
                         "p99_us": 4000.0 }],
        });
        let svg = render(&[input("one-client", report)]).unwrap();
        assert_well_formed(&svg);
        assert_eq!(series_lines(&svg).len(), 3);
        // The percentile line, the connected line and the p99 line: one dot each.
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn labels_are_escaped() {
        let svg = render(&[input("a<b & \"c\"", pubsub(800, 1_000))]).unwrap();
        assert!(!svg.contains("a<b"));
        assert!(svg.contains("<title>a&lt;b &amp; &quot;c&quot;: received/s</title>"));
    }

    #[test]
    fn nothing_to_draw_is_an_error_naming_the_reports() {
        let report = json!({
            "mode": "pub", "config": { "qos": 0 }, "histograms": {}, "series": [],
        });
        let error = format!("{:#}", render(&[input("empty-run", report)]).unwrap_err());
        assert_eq!(
            error,
            "nothing to plot (empty-run: pub at QoS 0 has no acks to time, and `series` is empty)"
        );
        assert!(render(&[]).is_err());
    }

    #[test]
    fn errors_name_the_report_and_the_field() {
        let error_of = |label: &str, report: Value| {
            format!("{:#}", render(&[input(label, report)]).unwrap_err())
        };

        let mut report = pubsub(800, 1_000);
        report.as_object_mut().unwrap().remove("mode");
        let error = error_of("r1", report);
        assert!(
            error.contains("'r1'") && error.contains("`mode`"),
            "{error}"
        );

        let mut report = pubsub(800, 1_000);
        report["histograms"]["e2e_corrected"] = json!("not base64!");
        let error = error_of("r2", report);
        assert!(
            error.contains("'r2'") && error.contains("`histograms.e2e_corrected`"),
            "{error}"
        );

        let mut report = pubsub(800, 1_000);
        report["series"][1]
            .as_object_mut()
            .unwrap()
            .remove("received");
        let error = error_of("r3", report);
        assert!(
            error.contains("'r3'") && error.contains("`series[1].received`"),
            "{error}"
        );

        let mut report = pubsub(800, 1_000);
        report["mode"] = json!("pub");
        report["config"] = json!({});
        let error = error_of("r4", report);
        assert!(
            error.contains("'r4'") && error.contains("`config.qos`"),
            "{error}"
        );

        let mut report = pubsub(800, 1_000);
        report["mode"] = json!("flood");
        let error = error_of("r5", report);
        assert!(
            error.contains("'r5'") && error.contains("\"flood\""),
            "{error}"
        );
    }

    #[test]
    fn draw_writes_what_render_returns() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("latency.svg");
        let inputs = [input("alpha", pubsub(800, 1_000))];
        draw(&inputs, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            render(&inputs).unwrap()
        );
    }

    #[test]
    fn nines_labels() {
        let labels: Vec<String> = (0..=5).map(|n| nines_label(10f64.powi(n))).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(2.5), "2.5");
    }

    #[test]
    fn report_colours_are_distinct_and_never_black() {
        let mut colours: Vec<RGBColor> = (0..30).map(report_colour).collect();
        colours.extend((0..30).map(|i| p99_colour(report_colour(i))));
        for (i, a) in colours.iter().enumerate() {
            assert_ne!((a.0, a.1, a.2), (0, 0, 0));
            for b in &colours[i + 1..30.max(i + 1)] {
                assert_ne!((a.0, a.1, a.2), (b.0, b.1, b.2));
            }
        }
    }
}
