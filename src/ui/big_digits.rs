//! Large figures, drawn with block characters: five rows tall at scale 1,
//! ten at scale 2 (the booth screen).

const GLYPHS: [[&str; 5]; 10] = [
    ["█████", "█   █", "█   █", "█   █", "█████"],
    ["  █  ", " ██  ", "  █  ", "  █  ", " ███ "],
    ["█████", "    █", "█████", "█    ", "█████"],
    ["█████", "    █", " ████", "    █", "█████"],
    ["█   █", "█   █", "█████", "    █", "    █"],
    ["█████", "█    ", "█████", "    █", "█████"],
    ["█████", "█    ", "█████", "█   █", "█████"],
    ["█████", "    █", "   █ ", "  █  ", "  █  "],
    ["█████", "█   █", "█████", "█   █", "█████"],
    ["█████", "█   █", "█████", "    █", "█████"],
];
const COMMA: [&str; 5] = ["  ", "  ", "  ", " █", "█ "];
const POINT: [&str; 5] = ["  ", "  ", "  ", "  ", "█ "];

pub const HEIGHT: usize = 5;

fn glyph(c: char) -> Option<&'static [&'static str; 5]> {
    match c {
        '0'..='9' => Some(&GLYPHS[c as usize - '0' as usize]),
        ',' => Some(&COMMA),
        '.' => Some(&POINT),
        _ => None,
    }
}

/// The rows of `figure` (digits, `,` and `.`; anything else is left out)
/// at `scale` (1 or more): `HEIGHT * scale` rows.
pub fn rows_of(figure: &str, scale: usize) -> Vec<String> {
    let scale = scale.max(1);
    let glyphs: Vec<_> = figure.chars().filter_map(glyph).collect();
    (0..HEIGHT * scale)
        .map(|row| {
            glyphs
                .iter()
                .map(|g| {
                    g[row / scale]
                        .chars()
                        .flat_map(|c| std::iter::repeat_n(c, scale))
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(&" ".repeat(2 * scale))
        })
        .collect()
}

/// The rows of `n` in large digits.
pub fn rows(n: u64) -> Vec<String> {
    rows_of(&n.to_string(), 1)
}

/// Columns `figure` takes at `scale`.
pub fn width_of(figure: &str, scale: usize) -> usize {
    rows_of(figure, scale)
        .first()
        .map_or(0, |r| r.chars().count())
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_five_rows_of_equal_width() {
        let rows = super::rows(10);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.chars().count() == 12));
    }

    #[test]
    fn figures_scale_and_keep_their_separators() {
        let rows = super::rows_of("4,815", 2);
        assert_eq!(rows.len(), 10);
        let width = rows[0].chars().count();
        assert!(rows.iter().all(|r| r.chars().count() == width));
        assert_eq!(width, super::width_of("4,815", 2));
        assert_eq!(width, 4 * 10 + 4 + 4 * 4);
    }
}
