//! The app's scrolling that is not a list selection: the analytic's page in the detail view and
//! the event view's horizontal scroll.

use super::super::keymap::Action;
use super::super::views;
use super::{App, ChainSource, DetailFocus, View};

/// Columns one press of a horizontal scroll key moves.
const HORIZONTAL_STEP: usize = 8;

impl App {
    /// Returns whether the movement keys scroll the analytic's page, because its focus is on
    /// the page or because no chain is listed to select.
    pub(super) fn page_has_focus(&self) -> bool {
        match self.current() {
            View::Detail {
                analytic, focus, ..
            } => {
                *focus == DetailFocus::Page
                    || self
                        .visible_chains(ChainSource::Analytic(*analytic))
                        .is_empty()
            }
            _ => false,
        }
    }

    /// Scrolls the analytic's page of the detail view by a movement action, stopping where its
    /// last row is at the bottom of the pane.
    pub(super) fn scroll_page(&mut self, action: Action) {
        let View::Detail { analytic, .. } = self.current() else {
            return;
        };
        let area = views::focused_area(self, self.screen);
        let (rows, height) = views::detail::page_rows(self, *analytic, area);
        let last = rows.saturating_sub(height);
        let height = height.max(1);
        if let Some(View::Detail { scroll, .. }) = self.path.last_mut() {
            *scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1).min(last),
                Action::PageUp => scroll.saturating_sub(height),
                Action::PageDown => scroll.saturating_add(height).min(last),
                Action::Top => 0,
                Action::Bottom => last,
                _ => *scroll,
            };
        }
    }

    /// Scrolls the event view left or right, stopping where its widest line ends at the pane's
    /// right edge.
    pub(super) fn scroll_sideways(&mut self, action: Action) {
        if !matches!(self.current(), View::Event { .. }) {
            return;
        }
        let area = views::focused_area(self, self.screen);
        let widest = views::event::max_width(self, self.current());
        // The borders take one column on each side.
        let last = widest.saturating_sub(usize::from(area.width.saturating_sub(2)));
        if let Some(View::Event { column, .. }) = self.path.last_mut() {
            *column = match action {
                Action::ScrollLeft => column.saturating_sub(HORIZONTAL_STEP),
                _ => column.saturating_add(HORIZONTAL_STEP).min(last),
            };
        }
    }
}
