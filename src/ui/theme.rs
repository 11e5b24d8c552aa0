//! Looks for each [`Tone`]: three themes and `NO_COLOR`. Named ANSI colours
//! only, no dark grey for text, and never meaning by colour alone: every
//! coloured state also has a symbol and a word (the view model writes them).

use ratatui::style::{Color, Modifier, Style};

use super::view::Tone;

/// `--theme`: the terminal's background decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ThemeName {
    /// Light text on a dark background.
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
    /// Bright, bold colours for projectors and washed-out screens.
    HighContrast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
    /// False under `NO_COLOR`: symbols, words and bold carry the meaning.
    pub colour: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Self {
            name: ThemeName::Dark,
            colour: true,
        }
    }
}

impl Theme {
    /// `name`, without colour when `NO_COLOR` is set to anything non-empty
    /// (<https://no-color.org>).
    pub fn new(name: ThemeName, no_color: Option<&std::ffi::OsStr>) -> Self {
        Self {
            name,
            colour: no_color.is_none_or(|v| v.is_empty()),
        }
    }

    pub fn from_env(name: ThemeName) -> Self {
        Self::new(name, std::env::var_os("NO_COLOR").as_deref())
    }

    fn colour_of(&self, tone: Tone) -> Option<Color> {
        use Color::*;
        let colour = match (self.name, tone) {
            (_, Tone::Plain | Tone::Strong) => return None,
            (ThemeName::Dark, Tone::Label) => Gray,
            (ThemeName::Dark, Tone::Accent) => Cyan,
            (ThemeName::Dark, Tone::Good) => Green,
            (ThemeName::Dark, Tone::Warn) => Yellow,
            (ThemeName::Dark, Tone::Bad) => Red,
            (ThemeName::Light, Tone::Label) => return None,
            (ThemeName::Light, Tone::Accent) => Blue,
            (ThemeName::Light, Tone::Good) => Green,
            // Yellow does not read on white.
            (ThemeName::Light, Tone::Warn) => Magenta,
            (ThemeName::Light, Tone::Bad) => Red,
            (ThemeName::HighContrast, Tone::Label) => White,
            (ThemeName::HighContrast, Tone::Accent) => LightCyan,
            (ThemeName::HighContrast, Tone::Good) => LightGreen,
            (ThemeName::HighContrast, Tone::Warn) => LightYellow,
            (ThemeName::HighContrast, Tone::Bad) => LightRed,
        };
        Some(colour)
    }

    pub fn style(&self, tone: Tone) -> Style {
        let mut style = Style::new();
        if self.colour
            && let Some(colour) = self.colour_of(tone)
        {
            style = style.fg(colour);
        }
        let bold = match tone {
            Tone::Strong | Tone::Bad => true,
            Tone::Warn | Tone::Accent => !self.colour,
            Tone::Good => self.name == ThemeName::HighContrast,
            Tone::Plain | Tone::Label => false,
        };
        if bold || (self.name == ThemeName::HighContrast && tone != Tone::Plain) {
            style = style.add_modifier(Modifier::BOLD);
        }
        style
    }

    pub fn border(&self) -> Style {
        self.style(Tone::Label)
    }

    pub fn title(&self) -> Style {
        self.style(Tone::Accent).add_modifier(Modifier::BOLD)
    }

    /// The background of the fault window on the chart (none without colour:
    /// the marker row shows the window there).
    pub fn shade(&self) -> Style {
        if !self.colour {
            return Style::new();
        }
        Style::new().bg(match self.name {
            ThemeName::Light => Color::Gray,
            _ => Color::DarkGray,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colour_and_meaning_stays_bold() {
        let theme = Theme::new(ThemeName::Dark, Some(std::ffi::OsStr::new("1")));
        for tone in [Tone::Good, Tone::Warn, Tone::Bad, Tone::Accent, Tone::Label] {
            assert_eq!(theme.style(tone).fg, None, "{tone:?}");
        }
        assert!(theme.style(Tone::Bad).add_modifier.contains(Modifier::BOLD));
        assert_eq!(theme.shade(), Style::new());
        // An empty NO_COLOR does not count.
        assert!(Theme::new(ThemeName::Dark, Some(std::ffi::OsStr::new(""))).colour);
    }

    #[test]
    fn no_theme_draws_text_in_dark_grey() {
        for name in [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast] {
            let theme = Theme::new(name, None);
            for tone in [
                Tone::Plain,
                Tone::Label,
                Tone::Strong,
                Tone::Accent,
                Tone::Good,
                Tone::Warn,
                Tone::Bad,
            ] {
                assert_ne!(
                    theme.style(tone).fg,
                    Some(Color::DarkGray),
                    "{name:?} {tone:?}"
                );
            }
        }
    }
}
