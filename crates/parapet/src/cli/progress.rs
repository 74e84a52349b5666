//! Progress on long work: a bar on standard error when it is a terminal, nothing otherwise (so
//! that logs and pipes stay clean).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Bar(Option<ProgressBar>);

pub fn bar() -> Bar {
    if !std::io::stderr().is_terminal() {
        return Bar(None);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {msg:12} [{bar:30}] {pos}/{len} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    Bar(Some(bar))
}

impl Bar {
    pub fn update(&self, label: &str, done: usize, total: usize) {
        if let Some(bar) = &self.0 {
            if bar.message() != label {
                bar.set_message(label.to_owned());
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    /// Runs `f` (which prints) with the bar hidden, so that its lines stay whole.
    pub fn suspend(&self, f: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A spinner with a message for work of unknown length.
pub struct Spinner(Option<ProgressBar>);

pub fn spinner() -> Spinner {
    if !std::io::stderr().is_terminal() {
        return Spinner(None);
    }
    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    Spinner(Some(spinner))
}

impl Spinner {
    pub fn step(&self, message: &str) {
        if let Some(spinner) = &self.0 {
            spinner.set_message(message.to_owned());
        }
    }

    pub fn finish(&self) {
        if let Some(spinner) = &self.0 {
            spinner.finish_and_clear();
        }
    }
}
