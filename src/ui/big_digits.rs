//! Large digits for the countdown, five rows tall, drawn with block characters.

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

pub const HEIGHT: usize = 5;

/// The rows of `n` in large digits.
pub fn rows(n: u64) -> Vec<String> {
    let digits: Vec<usize> = n
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    (0..HEIGHT)
        .map(|row| {
            digits
                .iter()
                .map(|&d| GLYPHS[d][row])
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_are_five_rows_of_equal_width() {
        let rows = super::rows(10);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.chars().count() == 12));
    }
}
