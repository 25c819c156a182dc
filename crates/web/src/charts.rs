//! Charts drawn on the server as SVG: horizontal bars, one row per figure, placed beside the
//! table that holds the same figures (the table is what a screen reader reads; the SVG is an
//! image with a title and a description). No script and no `style` attribute (the CSP allows
//! neither): colours and fonts are SVG presentation attributes.

use std::fmt::Write;

/// One bar: what it counts, its value, and the value as the page writes it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

impl Bar {
    /// A bar of a count.
    pub fn count(label: impl Into<String>, value: u64) -> Bar {
        Bar {
            label: label.into(),
            value: f64::from(u32::try_from(value).unwrap_or(u32::MAX)),
            text: value.to_string(),
        }
    }
}

const WIDTH: u32 = 480;
const LABEL_WIDTH: u32 = 170;
const BAR_AREA: f64 = 240.0;
const ROW: u32 = 26;
/// Bootstrap Italia's primary blue: 5.6:1 on white (WCAG AA for text and graphics).
const BAR_FILL: &str = "#0066cc";
const TEXT_FILL: &str = "#1a1a1a";

fn escape(text: &str) -> String {
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

/// A label cut to what fits beside its bar (the table beside the chart has it whole).
fn fit(label: &str) -> String {
    const MAX: usize = 26;
    if label.chars().count() <= MAX {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

/// A horizontal bar chart: `id` makes its title's and description's ids unique in the page;
/// `title` names it; `empty` is written when there is nothing to draw.
pub fn bars(id: &str, title: &str, empty: &str, bars: &[Bar]) -> String {
    let rows = u32::try_from(bars.len().max(1)).unwrap_or(1);
    let height = rows * ROW + 8;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let description: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.text))
        .collect();
    let description = if description.is_empty() {
        empty.to_owned()
    } else {
        description.join("; ")
    };
    let id = escape(id);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         font-family=\"Titillium Web, Geneva, Tahoma, sans-serif\" font-size=\"13\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(&description)
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"18\" fill=\"{TEXT_FILL}\">{}</text>",
            escape(empty)
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = u32::try_from(i).unwrap_or(0) * ROW + 4;
        let length = if max > 0.0 {
            (bar.value / max * BAR_AREA).max(if bar.value > 0.0 { 2.0 } else { 0.0 })
        } else {
            0.0
        };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{TEXT_FILL}\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{length:.1}\" height=\"{}\" fill=\"{BAR_FILL}\"/>\
             <text x=\"{:.1}\" y=\"{}\" fill=\"{TEXT_FILL}\">{}</text>",
            LABEL_WIDTH - 6,
            y + 15,
            escape(&fit(&bar.label)),
            ROW - 8,
            f64::from(LABEL_WIDTH) + length + 6.0,
            y + 15,
            escape(&bar.text),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_itself_escapes_its_labels_and_scales_to_the_largest_bar() {
        let svg = bars(
            "c",
            "Contatti <per> attività",
            "nessun dato",
            &[
                Bar::count("colloquio & ascolto", 10),
                Bar::count("gruppo", 5),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"c-title\">Contatti &lt;per&gt; attività</title>"));
        assert!(svg.contains("colloquio &amp; ascolto: 10; gruppo: 5"));
        assert!(svg.contains("width=\"240.0\""), "{svg}");
        assert!(svg.contains("width=\"120.0\""), "{svg}");
        assert!(!svg.contains("style") && !svg.contains("<script"));
        let empty = bars("e", "Vuoto", "nessun dato", &[]);
        assert!(empty.contains(">nessun dato</text>"));
    }
}
