//! A selection and scroll position in a list, moved by keymap actions.

use super::keymap::Action;

/// The selected row of a list and the first row shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListCursor {
    /// Index of the selected row.
    pub selected: usize,
    /// Index of the first row drawn, kept so that the selection stays on screen.
    pub offset: usize,
}

impl ListCursor {
    /// Moves the selection for a movement action in a list of `len` rows with `page` rows on
    /// screen. Returns false, changing nothing, for an action that is not a movement.
    pub fn apply(&mut self, action: Action, len: usize, page: usize) -> bool {
        let last = len.saturating_sub(1);
        let page = page.max(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => self.selected.saturating_add(1).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => self.selected.saturating_add(page).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        self.follow(page);
        true
    }

    /// Selects row `index` and scrolls as little as needed to show it.
    pub fn select(&mut self, index: usize, page: usize) {
        self.selected = index;
        self.follow(page.max(1));
    }

    /// Keeps the selection inside a list that may have shrunk.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.offset.min(self.selected);
    }

    /// Scrolls the least amount that puts the selection inside a window of `page` rows.
    fn follow(&mut self, page: usize) {
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset.saturating_add(page) {
            self.offset = self.selected + 1 - page;
        }
    }

    /// Computes the first row to draw in a window of `height` rows over `len` rows.
    ///
    /// The stored offset was computed for the viewport the app last knew, and a pane may be
    /// smaller (a split layout), so this corrects it without changing the cursor.
    pub fn window_start(&self, len: usize, height: usize) -> usize {
        let height = height.max(1);
        let selected = self.selected.min(len.saturating_sub(1));
        let mut offset = self.offset.min(selected);
        if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_range() {
        let mut cursor = ListCursor::default();
        assert!(cursor.apply(Action::Up, 10, 3));
        assert_eq!(cursor.selected, 0);
        cursor.apply(Action::Bottom, 10, 3);
        assert_eq!(cursor.selected, 9);
        assert_eq!(cursor.offset, 7);
        cursor.apply(Action::PageDown, 10, 3);
        assert_eq!(cursor.selected, 9);
        cursor.apply(Action::PageUp, 10, 3);
        assert_eq!(cursor.selected, 6);
        assert_eq!(cursor.offset, 6);
    }

    #[test]
    fn empty_list_is_safe() {
        let mut cursor = ListCursor::default();
        cursor.apply(Action::Bottom, 0, 0);
        cursor.apply(Action::Down, 0, 0);
        assert_eq!(cursor.selected, 0);
        assert_eq!(cursor.window_start(0, 0), 0);
    }

    #[test]
    fn window_follows_selection() {
        let cursor = ListCursor {
            selected: 50,
            offset: 0,
        };
        assert_eq!(cursor.window_start(100, 10), 41);
        assert_eq!(cursor.window_start(100, 100), 0);
    }

    #[test]
    fn other_actions_are_not_moves() {
        let mut cursor = ListCursor::default();
        assert!(!cursor.apply(Action::Open, 5, 5));
    }
}
