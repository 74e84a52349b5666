//! Embeds every template under `templates/` in the binary, so that a template is found by its
//! path without a hand-kept list.

fn main() {
    minijinja_embed::embed_templates!("templates");
}
