//! Rows of atomic pieces and how they flow into a width: a row breaks only
//! between pieces, a piece wider than a line breaks only between words, and
//! a word wider than a line is cut with `…`. So a figure is never cut: it is
//! whole on its line, or the row continues on the next one.

use unicode_width::UnicodeWidthStr;

use crate::ui::text;

/// What a piece of text means; the theme gives each meaning its look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    Plain,
    /// Labels and borders: readable, quieter than figures.
    Label,
    /// Names and figures that matter.
    Strong,
    /// Keys, the chapter, things the presenter can act on.
    Accent,
    Good,
    /// Below the warning level, under-replicated, called off.
    Warn,
    /// Down, Disconnected, leaderless, degraded, failed.
    Bad,
}

/// Text that is never split across lines unless it alone is wider than a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub tone: Tone,
}

impl Piece {
    pub fn new(tone: Tone, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            tone,
        }
    }
}

/// One row of a panel: pieces laid left to right, continued under `indent`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub pieces: Vec<Piece>,
    /// Columns of indent for continuation lines.
    pub indent: usize,
    /// Which rows go first when room runs short: the highest rank first,
    /// the lowest row first among equals; rank 0 (the processes row, PD's
    /// leader) never goes.
    pub rank: u8,
}

impl Row {
    pub fn new(pieces: Vec<Piece>) -> Self {
        Self {
            pieces,
            indent: 0,
            rank: 1,
        }
    }

    /// Prose in one tone, wrapped at words.
    pub fn prose(tone: Tone, text: impl Into<String>) -> Self {
        Self::new(vec![Piece::new(tone, text)])
    }

    /// Never left out.
    pub fn kept(mut self) -> Self {
        self.rank = 0;
        self
    }

    pub fn ranked(mut self, rank: u8) -> Self {
        self.rank = rank;
        self
    }

    pub fn indented(mut self, indent: usize) -> Self {
        self.indent = indent;
        self
    }

    pub fn width(&self) -> usize {
        self.pieces.iter().map(|p| p.text.width()).sum()
    }

    /// The row's text, as plain mode prints it.
    pub fn text(&self) -> String {
        self.pieces.iter().map(|p| p.text.as_str()).collect()
    }
}

/// One laid-out line: pieces that fit `width` columns.
pub type Line = Vec<Piece>;

/// `row` laid into lines of at most `width` columns.
pub fn lay(row: &Row, width: usize) -> Vec<Line> {
    let width = width.max(1);
    let indent = row.indent.min(width / 2);
    let mut out = Layout {
        lines: Vec::new(),
        line: Vec::new(),
        used: 0,
        width,
        indent,
    };
    for piece in &row.pieces {
        out.piece(piece);
    }
    out.finish()
}

struct Layout {
    lines: Vec<Line>,
    line: Line,
    used: usize,
    width: usize,
    indent: usize,
}

impl Layout {
    fn at_line_start(&self) -> bool {
        self.line.iter().all(|p| p.text.trim().is_empty())
    }

    fn new_line(&mut self) {
        let done = std::mem::take(&mut self.line);
        self.lines.push(done);
        self.used = 0;
        if self.indent > 0 {
            self.push(Tone::Plain, " ".repeat(self.indent));
        }
    }

    fn push(&mut self, tone: Tone, text: String) {
        self.used += text.width();
        match self.line.last_mut() {
            Some(last) if last.tone == tone => last.text.push_str(&text),
            _ => self.line.push(Piece { text, tone }),
        }
    }

    fn piece(&mut self, piece: &Piece) {
        let w = piece.text.width();
        if self.used + w <= self.width {
            self.push(piece.tone, piece.text.clone());
            return;
        }
        let trimmed = piece.text.trim_start();
        // Whole on a line of its own, when it fits one.
        if !self.at_line_start() && self.indent + trimmed.width() <= self.width {
            self.new_line();
            self.push(piece.tone, trimmed.to_string());
            return;
        }
        // Wider than a line: break between words.
        let lead = piece.text.len() - trimmed.len();
        let mut first = true;
        for word in trimmed.split(' ') {
            let sep = if first { &piece.text[..lead] } else { " " };
            first = false;
            // Spaces never start a continuation line; a row's own lead stays.
            let row_start = self.lines.is_empty() && self.line.is_empty();
            let sep = if self.at_line_start() && !row_start {
                ""
            } else {
                sep
            };
            let ww = word.width();
            if self.used + sep.width() + ww <= self.width {
                self.push(piece.tone, format!("{sep}{word}"));
                continue;
            }
            if !self.at_line_start() {
                self.new_line();
            }
            let room = self.width - self.used;
            self.push(piece.tone, text::ellipsize(word, room));
        }
    }

    fn finish(mut self) -> Vec<Line> {
        if !self.line.is_empty() || self.lines.is_empty() {
            self.lines.push(self.line);
        }
        self.lines
    }
}

/// Lines that fit a panel, and how many were left out above and below.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fitted {
    pub lines: Vec<Line>,
    pub above: usize,
    pub below: usize,
}

/// A panel that does not scroll: every row laid out; when they do not fit,
/// lines are left out from the rows that may go (highest rank first, the
/// lowest row first among equals; a long row loses its last lines rather
/// than all of them), and a last line says how many (never a silent cut).
pub fn fit_panel(rows: &[Row], width: usize, height: usize) -> Fitted {
    if height == 0 {
        return Fitted::default();
    }
    let mut laid: Vec<Vec<Line>> = rows.iter().map(|r| lay(r, width)).collect();
    let mut total: usize = laid.iter().map(Vec::len).sum();
    // Blank lines between paragraphs go first, unmarked: nothing is lost.
    for i in (0..rows.len()).rev() {
        if total > height && rows[i].rank > 0 && rows[i].text().trim().is_empty() {
            total -= laid[i].len();
            laid[i].clear();
        }
    }
    let mut below = 0;
    // The mark goes where lines were left out (after the lowest such row).
    let mut mark_after_row = None;
    if total > height {
        // Room for the mark line.
        let mut overflow = total - (height - 1);
        let mut order: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].rank > 0).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(rows[i].rank), std::cmp::Reverse(i)));
        for i in order {
            if overflow == 0 {
                break;
            }
            let len = laid[i].len();
            let cut = overflow.min(len);
            laid[i].truncate(len - cut);
            overflow -= cut;
            below += cut;
            mark_after_row = mark_after_row.max(Some(i));
        }
    }
    let mark_at = mark_after_row.map(|i| laid[..=i].iter().map(Vec::len).sum::<usize>());
    let mut lines: Vec<Line> = laid.into_iter().flatten().collect();
    if lines.len() > height - usize::from(below > 0) {
        // What must stay did not fit either: cut at the bottom, marked.
        below += lines.len() - (height - 1);
        lines.truncate(height - 1);
        lines.push(vec![Piece::new(Tone::Warn, more_mark(below, width))]);
    } else if below > 0 {
        let at = mark_at.unwrap_or(lines.len()).min(lines.len());
        lines.insert(at, vec![Piece::new(Tone::Warn, more_mark(below, width))]);
    }
    Fitted {
        lines,
        above: 0,
        below,
    }
}

/// `… 2 more: make the window larger`, shorter where that does not fit;
/// never cut inside its figure.
fn more_mark(n: usize, width: usize) -> String {
    [
        format!("… {n} more: make the window larger"),
        format!("… {n} more lines"),
        format!("… {n} more"),
        format!("…{n}"),
    ]
    .into_iter()
    .find(|mark| mark.width() <= width)
    .unwrap_or_else(|| "…".into())
}

/// `▲ 3 more above · ↑↓`, shorter where that does not fit.
fn scroll_mark(arrow: &str, n: usize, side: &str, keys: &str, width: usize) -> String {
    [
        format!("{arrow} {n} more {side} · {keys}"),
        format!("{arrow} {n} more {side}"),
        format!("{arrow} {n}"),
    ]
    .into_iter()
    .find(|mark| mark.width() <= width)
    .unwrap_or_else(|| arrow.into())
}

/// An entry's one-line form: its first line, ended with ` …` when more
/// follows; words are dropped from its end to make room, whole, so no
/// figure is cut.
fn one_line(entry: &mut Vec<Line>, width: usize) {
    if entry.len() <= 1 {
        return;
    }
    entry.truncate(1);
    let line = &mut entry[0];
    let used = |line: &Line| line.iter().map(|p| p.text.width()).sum::<usize>();
    while used(line) + 2 > width {
        let Some(last) = line.last_mut() else { break };
        match last.text.trim_end().rsplit_once(' ') {
            Some((head, _)) if !head.trim().is_empty() => last.text = head.to_string(),
            _ => {
                line.pop();
            }
        }
    }
    line.push(Piece::new(Tone::Warn, " …"));
}

/// A pane scrolled to entry `offset` (a row: a monitor entry, an agent
/// paragraph): whole entries only, so no view starts on an orphan line,
/// and the marks count entries. Only an entry taller than the whole pane
/// takes its one-line form (a pane too short for two entries shows every
/// entry so). Returns the offset drawn.
pub fn fit_scrolled(
    rows: &[Row],
    width: usize,
    height: usize,
    offset: usize,
    keys: &str,
) -> (Fitted, usize) {
    if height == 0 {
        return (Fitted::default(), 0);
    }
    let mut laid: Vec<Vec<Line>> = rows.iter().map(|r| lay(r, width)).collect();
    let two_whole = laid.iter().take(2).map(Vec::len).sum::<usize>() < height;
    if laid.iter().map(Vec::len).sum::<usize>() > height && !two_whole {
        // A pane that cannot show two entries whole (and the mark below
        // them) shows each in its one-line form.
        for entry in &mut laid {
            one_line(entry, width);
        }
    }
    if laid.iter().map(Vec::len).sum::<usize>() <= height {
        return (
            Fitted {
                lines: laid.into_iter().flatten().collect(),
                above: 0,
                below: 0,
            },
            0,
        );
    }
    // The last offset: the fewest entries whose tail fits under the mark
    // above (at least the last entry).
    let mut max_offset = laid.len() - 1;
    let mut tail = laid[max_offset].len();
    while max_offset > 0 && tail + laid[max_offset - 1].len() < height {
        max_offset -= 1;
        tail += laid[max_offset].len();
    }
    let offset = offset.min(max_offset);
    let mark_above = usize::from(offset > 0);
    let rest: usize = laid[offset..].iter().map(Vec::len).sum();
    let room = height.saturating_sub(mark_above);
    let room = if rest > room { room - 1 } else { room }.max(1);
    let mut lines = Vec::new();
    if mark_above == 1 {
        lines.push(vec![Piece::new(
            Tone::Accent,
            scroll_mark("▲", offset, "above", keys, width),
        )]);
    }
    let mut used = 0;
    let mut whole = 0;
    for entry in &laid[offset..] {
        if used + entry.len() > room {
            // The first entry taller than the pane: its one-line form,
            // marked; a later one that does not fit begins on the room
            // left, in its one-line form, and is counted below.
            if used < room {
                let mut entry = entry.clone();
                one_line(&mut entry, width);
                lines.extend(entry);
                whole += usize::from(whole == 0);
            }
            break;
        }
        used += entry.len();
        whole += 1;
        lines.extend(entry.iter().cloned());
    }
    let below = laid.len() - offset - whole;
    if below > 0 {
        lines.push(vec![Piece::new(
            Tone::Accent,
            scroll_mark("▼", below, "below", keys, width),
        )]);
    }
    lines.truncate(height);
    (
        Fitted {
            lines,
            above: offset,
            below,
        },
        offset,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|p| p.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_row_breaks_between_pieces_never_inside_a_figure() {
        let row = Row::new(vec![
            Piece::new(Tone::Plain, "regions 1,000"),
            Piece::new(Tone::Bad, " no leader 21"),
            Piece::new(Tone::Warn, " under-repl. 428"),
        ])
        .indented(2);
        assert_eq!(
            texts(&lay(&row, 30)),
            ["regions 1,000 no leader 21", "  under-repl. 428"]
        );
        assert_eq!(
            texts(&lay(&row, 60)),
            ["regions 1,000 no leader 21 under-repl. 428"]
        );
    }

    #[test]
    fn prose_wraps_at_words_and_a_long_word_is_marked() {
        let row = Row::prose(Tone::Plain, "one two three abcdefghijkl");
        assert_eq!(texts(&lay(&row, 8)), ["one two", "three", "abcdefg…"]);
        for line in lay(&row, 8) {
            assert!(line.iter().map(|p| p.text.width()).sum::<usize>() <= 8);
        }
    }

    #[test]
    fn a_full_panel_says_what_it_left_out_and_keeps_what_must_stay() {
        let rows = vec![
            Row::prose(Tone::Plain, "a"),
            Row::prose(Tone::Plain, "processes ✗ tikv1 exited 137").kept(),
            Row::prose(Tone::Plain, "b"),
            Row::prose(Tone::Plain, "c"),
        ];
        let fitted = fit_panel(&rows, 40, 3);
        assert_eq!(
            texts(&fitted.lines),
            [
                "a",
                "processes ✗ tikv1 exited 137",
                "… 2 more: make the window larger"
            ]
        );
    }

    #[test]
    fn a_long_paragraph_loses_its_last_lines_not_all_of_them() {
        let rows = vec![
            Row::prose(Tone::Plain, "one two three four five six").ranked(2),
            Row::prose(Tone::Plain, "status").kept(),
        ];
        let fitted = fit_panel(&rows, 10, 3);
        assert_eq!(texts(&fitted.lines), ["one two", "… 2 more", "status"]);
    }

    #[test]
    fn a_pane_scrolls_by_whole_entries_and_counts_them() {
        // Two-line entries in a five-line pane: never half of one
        // unmarked.
        let rows: Vec<Row> = (0..6)
            .map(|i| Row::prose(Tone::Plain, format!("entry {i} goes on and on")).indented(2))
            .collect();
        let (top, _) = fit_scrolled(&rows, 16, 5, 0, "[ ]");
        let entry = |i: usize| [format!("entry {i} goes on"), "  and on".to_string()];
        let lines = |marks: (&str, &str), entries: &[usize]| {
            let mut out: Vec<String> = Vec::new();
            out.extend((!marks.0.is_empty()).then(|| marks.0.to_string()));
            out.extend(entries.iter().flat_map(|&i| entry(i)));
            out.extend((!marks.1.is_empty()).then(|| marks.1.to_string()));
            out
        };
        assert_eq!(texts(&top.lines), lines(("", "▼ 4 more below"), &[0, 1]));
        let (mid, offset) = fit_scrolled(&rows, 16, 5, 1, "[ ]");
        assert_eq!(offset, 1);
        // The next entry begins on the line left, in its one-line form,
        // and is still counted below.
        let mut expected = lines(("▲ 1 more above", ""), &[1]);
        expected.extend(["entry 2 goes …".to_string(), "▼ 4 more below".to_string()]);
        assert_eq!(texts(&mid.lines), expected);
        let (end, offset) = fit_scrolled(&rows, 16, 5, 99, "[ ]");
        assert_eq!(offset, 4);
        assert_eq!(texts(&end.lines), lines(("▲ 4 more above", ""), &[4, 5]));
    }

    #[test]
    fn a_pane_too_short_for_two_entries_shows_each_on_one_line() {
        let rows: Vec<Row> = (0..4)
            .map(|i| {
                Row::prose(
                    Tone::Plain,
                    format!("T+{i}.0s CRIT tikv{i}: process died (exit code 137)"),
                )
            })
            .collect();
        let (fitted, _) = fit_scrolled(&rows, 30, 3, 0, "[ ]");
        assert_eq!(
            texts(&fitted.lines),
            [
                "T+0.0s CRIT tikv0: process …",
                "T+1.0s CRIT tikv1: process …",
                "▼ 2 more below · [ ]"
            ]
        );
    }

    #[test]
    fn blank_lines_go_first_and_unmarked() {
        let rows = vec![
            Row::prose(Tone::Plain, "a").ranked(2),
            Row::prose(Tone::Plain, "").ranked(3),
            Row::prose(Tone::Plain, "b"),
        ];
        assert_eq!(texts(&fit_panel(&rows, 10, 2).lines), ["a", "b"]);
    }

    #[test]
    fn a_pane_scrolls_with_marks() {
        let rows: Vec<Row> = (0..10)
            .map(|i| Row::prose(Tone::Plain, format!("line {i}")))
            .collect();
        let (top, _) = fit_scrolled(&rows, 40, 4, 0, "↑↓");
        assert_eq!(
            texts(&top.lines),
            ["line 0", "line 1", "line 2", "▼ 7 more below · ↑↓"]
        );
        let (mid, offset) = fit_scrolled(&rows, 40, 4, 3, "↑↓");
        assert_eq!(offset, 3);
        assert_eq!(
            texts(&mid.lines),
            [
                "▲ 3 more above · ↑↓",
                "line 3",
                "line 4",
                "▼ 5 more below · ↑↓"
            ]
        );
        let (end, offset) = fit_scrolled(&rows, 40, 4, 99, "↑↓");
        assert_eq!(offset, 7);
        assert_eq!(
            texts(&end.lines),
            ["▲ 7 more above · ↑↓", "line 7", "line 8", "line 9"]
        );
    }
}
