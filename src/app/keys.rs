//! Keyboard shortcuts: Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo the panel's edits, and
//! Alt+1 … Alt+7 jump to the panels. Tab and Enter/Space reach and press every control (egui).

use super::{AppState, Command, Panel};
use egui::{Key, KeyboardShortcut, Modifiers};

/// Reads this frame's shortcuts (none while a text field has the keyboard: it has its own
/// undo; a focused button does not block them).
pub(super) fn shortcuts(ui: &mut egui::Ui, state: &mut AppState, commands: &mut Vec<Command>) {
    if ui.ctx().text_edit_focused() {
        return;
    }
    let pressed = |ui: &mut egui::Ui, modifiers: Modifiers, key: Key| {
        ui.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
    };
    // Redo first: Ctrl+Shift+Z would also match Ctrl+Z.
    if pressed(ui, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z) || pressed(ui, Modifiers::COMMAND, Key::Y) {
        commands.push(Command::Redo);
    }
    if pressed(ui, Modifiers::COMMAND, Key::Z) {
        commands.push(Command::Undo);
    }
    const DIGITS: [Key; 7] = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7];
    for (panel, key) in Panel::ALL.into_iter().zip(DIGITS) {
        if pressed(ui, Modifiers::ALT, key) && super::guide::ready(state, panel) {
            state.panel = panel;
        }
    }
}
