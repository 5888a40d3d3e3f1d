//! Colors and text modifiers per role, loaded from a TOML theme file.
//!
//! A theme file has a `[colors]` table mapping role names to colors and a `[modifiers]` table
//! mapping role names to lists of modifiers, as in `themes/dark.toml`. Roles and tables missing
//! from the file keep the built-in default. Four themes ship in `themes/` and are compiled in:
//! dark (the default), light, high-contrast and mono. The `NO_COLOR` convention
//! (<https://no-color.org>) is honored by [`Theme::honoring_no_color`].

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::Context as _;
use ratatui::style::{Color, Modifier, Style};

/// Styles for every role the views draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Plain text.
    pub text: Style,
    /// Secondary text: column headers, empty values, hints.
    pub dim: Style,
    /// Titles and the focused pane's border.
    pub accent: Style,
    /// Borders of panes without focus.
    pub border: Style,
    /// The SAMPLE DATA marker.
    pub sample: Style,
    /// Hit counts of analytics that matched.
    pub hits: Style,
    /// The marker of executable analytics.
    pub executable: Style,
    /// The marker of analytics whose log sources are present in the loaded data.
    pub data_present: Style,
    /// Keys in the status line and the help.
    pub key: Style,
    /// Active filters and the search query.
    pub filter: Style,
    /// Load problems and warnings.
    pub warning: Style,
    /// Failures.
    pub error: Style,
    /// The selected row; reversed so it stays visible without colors.
    pub selected: Style,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            text: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::Gray),
            sample: Style::new()
                .fg(Color::Yellow)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            hits: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            executable: Style::new().fg(Color::Green),
            data_present: Style::new().fg(Color::Blue),
            key: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            filter: Style::new()
                .fg(Color::LightYellow)
                .add_modifier(Modifier::BOLD),
            warning: Style::new().fg(Color::Yellow),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    colors: BTreeMap<String, String>,
    #[serde(default)]
    modifiers: BTreeMap<String, Vec<String>>,
}

/// The shipped themes by name, compiled in so a copied binary has them all.
pub const SHIPPED: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Modifier names as theme files spell them.
const MODIFIERS: [(&str, Modifier); 6] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
];

impl Theme {
    /// Reads a theme file; roles it leaves out keep their default.
    ///
    /// Fails when the file cannot be read, is not valid TOML, names an unknown role or gives a
    /// color that is not a name, an index or `#rrggbb`.
    pub fn load(path: &Path) -> anyhow::Result<Theme> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read theme file {}", path.display()))?;
        Theme::parse(&text).with_context(|| format!("invalid theme file {}", path.display()))
    }

    /// Returns a shipped theme by name (`dark`, `light`, `high-contrast` or `mono`).
    pub fn named(name: &str) -> Option<Theme> {
        let (_, text) = SHIPPED.iter().find(|(shipped, _)| *shipped == name)?;
        // A test parses every shipped theme, so the fallback is never used in practice.
        Some(Theme::parse(text).unwrap_or_default())
    }

    /// Resolves `--theme`: a shipped theme's name, or else the path of a theme file.
    pub fn resolve(spec: &Path) -> anyhow::Result<Theme> {
        if let Some(theme) = spec.to_str().and_then(Theme::named) {
            return Ok(theme);
        }
        if !spec.exists() {
            let names: Vec<&str> = SHIPPED.iter().map(|(name, _)| *name).collect();
            anyhow::bail!(
                "theme '{}' is neither a shipped theme ({}) nor an existing file",
                spec.display(),
                names.join(", ")
            );
        }
        Theme::load(spec)
    }

    /// Parses the text of a theme file; see [`Theme::load`].
    pub fn parse(text: &str) -> anyhow::Result<Theme> {
        let file: ThemeFile = toml::from_str(text)?;
        let mut theme = Theme::default();
        for (role, names) in &file.modifiers {
            let mut modifiers = Modifier::empty();
            for name in names {
                let modifier = MODIFIERS
                    .iter()
                    .find(|(known, _)| known == name)
                    .map(|(_, modifier)| *modifier)
                    .ok_or_else(|| {
                        let known: Vec<&str> = MODIFIERS.iter().map(|(known, _)| *known).collect();
                        anyhow::anyhow!(
                            "unknown modifier {name:?} for role {role:?}: expected one of {}",
                            known.join(", ")
                        )
                    })?;
                modifiers |= modifier;
            }
            let style = theme.role_mut(role).ok_or_else(|| unknown_role(role))?;
            // The list replaces the role's modifiers, so a theme can also remove bold or dim.
            *style = Style {
                add_modifier: modifiers,
                sub_modifier: Modifier::empty(),
                ..*style
            };
        }
        for (role, value) in &file.colors {
            let color = Color::from_str(value).map_err(|_| {
                anyhow::anyhow!(
                    "invalid color {value:?} for role {role:?}: expected a color name, \
                     an index 0-255 or #rrggbb"
                )
            })?;
            let style = theme.role_mut(role).ok_or_else(|| unknown_role(role))?;
            *style = style.fg(color);
        }
        Ok(theme)
    }

    /// Returns the theme with every color removed, keeping bold, reverse and the other
    /// modifiers, for terminals where `NO_COLOR` is set.
    pub fn without_colors(&self) -> Theme {
        let mut theme = self.clone();
        for role in ROLES {
            if let Some(style) = theme.role_mut(role) {
                style.fg = None;
                style.bg = None;
                style.underline_color = None;
            }
        }
        theme.dim = theme.dim.add_modifier(Modifier::DIM);
        theme
    }

    /// Applies the `NO_COLOR` convention: colors are dropped when the variable is set and not
    /// empty.
    pub fn honoring_no_color(&self) -> Theme {
        if no_color() {
            self.without_colors()
        } else {
            self.clone()
        }
    }

    fn role_mut(&mut self, role: &str) -> Option<&mut Style> {
        Some(match role {
            "text" => &mut self.text,
            "dim" => &mut self.dim,
            "accent" => &mut self.accent,
            "border" => &mut self.border,
            "sample" => &mut self.sample,
            "hits" => &mut self.hits,
            "executable" => &mut self.executable,
            "data_present" => &mut self.data_present,
            "key" => &mut self.key,
            "filter" => &mut self.filter,
            "warning" => &mut self.warning,
            "error" => &mut self.error,
            "selected" => &mut self.selected,
            _ => return None,
        })
    }
}

/// Returns whether `NO_COLOR` is set and not empty.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

fn unknown_role(role: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "unknown role {role:?}: expected one of {}",
        ROLES.join(", ")
    )
}

/// Role names as theme files spell them.
const ROLES: [&str; 13] = [
    "text",
    "dim",
    "accent",
    "border",
    "sample",
    "hits",
    "executable",
    "data_present",
    "key",
    "filter",
    "warning",
    "error",
    "selected",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_theme_parses() {
        for (name, _) in SHIPPED {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("themes/{name}.toml"));
            let theme = Theme::load(&path);
            assert!(theme.is_ok(), "{name}: {theme:?}");
        }
    }

    #[test]
    fn dark_is_default() {
        assert_eq!(Theme::named("dark"), Some(Theme::default()));
    }

    #[test]
    fn mono_has_no_colors() {
        let Some(mono) = Theme::named("mono") else {
            panic!("mono is not shipped");
        };
        for role in ROLES {
            let mut theme = mono.clone();
            let fg = theme.role_mut(role).and_then(|style| style.fg);
            assert!(matches!(fg, None | Some(Color::Reset)), "{role} has {fg:?}");
        }
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(mono.dim.add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn resolve_takes_name_or_file() {
        assert_eq!(
            Theme::resolve(Path::new("light")).ok(),
            Theme::named("light")
        );
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/high-contrast.toml");
        assert_eq!(Theme::resolve(&path).ok(), Theme::named("high-contrast"));
        let error = match Theme::resolve(Path::new("no-such-theme")) {
            Ok(_) => panic!("an unknown name resolved"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("'no-such-theme'"), "{error}");
        assert!(error.contains("high-contrast"), "{error}");
    }

    #[test]
    fn modifiers_replace_only_named_roles() {
        let theme = Theme::parse("[modifiers]\naccent = [\"underlined\"]\n").unwrap();
        assert_eq!(theme.accent.add_modifier, Modifier::UNDERLINED);
        assert_eq!(theme.accent.fg, Theme::default().accent.fg);
        assert_eq!(theme.hits, Theme::default().hits);
        let error = Theme::parse("[modifiers]\nhits = [\"blink\"]\n").unwrap_err();
        assert!(error.to_string().contains("blink"), "{error}");
    }

    #[test]
    fn missing_roles_keep_defaults() {
        let theme = Theme::parse("[colors]\nhits = \"#ff0000\"\n").unwrap();
        assert_eq!(theme.hits.fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(theme.accent, Theme::default().accent);
    }

    #[test]
    fn empty_file_is_default() {
        assert_eq!(Theme::parse("").unwrap(), Theme::default());
    }

    #[test]
    fn unknown_role_is_rejected() {
        let error = Theme::parse("[colors]\nhitz = \"red\"\n").unwrap_err();
        assert!(error.to_string().contains("hitz"), "{error}");
    }

    #[test]
    fn invalid_color_is_rejected() {
        let error = Theme::parse("[colors]\nhits = \"not-a-color\"\n").unwrap_err();
        assert!(error.to_string().contains("not-a-color"), "{error}");
    }

    #[test]
    fn without_colors_keeps_modifiers() {
        let theme = Theme::default().without_colors();
        assert_eq!(theme.sample.fg, None);
        assert!(theme.sample.add_modifier.contains(Modifier::REVERSED));
        assert!(theme.selected.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(theme.hits.fg, None);
    }
}
