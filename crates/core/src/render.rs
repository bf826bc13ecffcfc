//! Rendering message templates (minijinja), sandboxed: no loader (a
//! template cannot read a file or include another), strict variables (a
//! missing one is an error naming it, never an empty string), bounded work
//! (fuel) and bounded output, HTML auto-escaping of every value in the HTML
//! body. Variable values are data: `{{ }}` inside a value is printed, never
//! evaluated.

use crate::model::Template;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The largest source of one part (subject, text body, HTML body).
pub const MAX_SOURCE: usize = 256 * 1024;
/// The largest rendered part.
pub const MAX_OUTPUT: usize = 2 * 1024 * 1024;
/// The largest rendered subject.
pub const MAX_SUBJECT: usize = 998;
/// Instructions one part may take (a loop over a huge range runs out).
const FUEL: u64 = 200_000;

/// Why a template could not be saved or rendered; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The source does not parse, or uses what the sandbox does not offer.
    #[error("{field}: {reason}")]
    Invalid {
        /// The part at fault.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A variable the template uses was not given.
    #[error("variables.{0}: missing; the template uses it")]
    Missing(String),
    /// The rendered part exceeds its limit, or took too much work.
    #[error("{field}: the rendered text is too long or takes too much work")]
    TooBig {
        /// The part at fault.
        field: &'static str,
    },
    /// The rendered subject holds a line break or another control character.
    #[error("subject: the rendered subject holds a line break or a control character")]
    SubjectControl,
}

/// One part of a template, as the API names its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The subject (plain text, one line).
    Subject,
    /// The text body.
    Text,
    /// The HTML body (values escaped).
    Html,
}

impl Part {
    /// The field name.
    pub fn field(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Text => "text_body",
            Part::Html => "html_body",
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(16);
    env.set_auto_escape_callback(|name| if name == "html_body" { AutoEscape::Html } else { AutoEscape::None });
    env
}

/// The variables `source` uses (and whether it parses).
pub fn variables_of(part: Part, source: &str) -> Result<BTreeSet<String>, RenderError> {
    let field = part.field();
    if source.len() > MAX_SOURCE {
        return Err(RenderError::Invalid { field, reason: format!("at most {MAX_SOURCE} bytes") });
    }
    let env = environment();
    let template = env
        .template_from_named_str(field, source)
        .map_err(|e| RenderError::Invalid { field, reason: e.detail().unwrap_or("does not parse").to_owned() })?;
    // The engine's own functions (`range`, `dict`, ...) are not variables.
    let globals: BTreeSet<&str> = env.globals().map(|(name, _)| name).collect();
    Ok(template.undeclared_variables(false).into_iter().filter(|v| !globals.contains(v.as_str())).collect())
}

/// The rendered parts of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject (one line).
    pub subject: String,
    /// The text body.
    pub text: String,
    /// The HTML body, if the template has one.
    pub html: Option<String>,
}

/// Renders `template` with `vars` (every variable it uses must be given).
pub fn render(template: &Template, vars: &BTreeMap<String, String>) -> Result<Rendered, RenderError> {
    if let Some(missing) = template.variables.iter().find(|v| !vars.contains_key(*v)) {
        return Err(RenderError::Missing(missing.clone()));
    }
    let subject = render_part(Part::Subject, &template.subject, vars)?;
    check_subject(&subject)?;
    let text = render_part(Part::Text, &template.text_body, vars)?;
    let html = template.html_body.as_deref().map(|h| render_part(Part::Html, h, vars)).transpose()?;
    Ok(Rendered { subject, text, html })
}

/// A subject as it goes into the header: one line of at most [`MAX_SUBJECT`] bytes.
pub fn check_subject(subject: &str) -> Result<(), RenderError> {
    if subject.len() > MAX_SUBJECT {
        return Err(RenderError::TooBig { field: "subject" });
    }
    if subject.chars().any(char::is_control) {
        return Err(RenderError::SubjectControl);
    }
    Ok(())
}

fn render_part(part: Part, source: &str, vars: &BTreeMap<String, String>) -> Result<String, RenderError> {
    let field = part.field();
    let env = environment();
    let template = env
        .template_from_named_str(field, source)
        .map_err(|e| RenderError::Invalid { field, reason: e.detail().unwrap_or("does not parse").to_owned() })?;
    let mut out = Capped(Vec::new());
    match template.render_captured_to(minijinja::Value::from(vars.clone()), &mut out) {
        Ok(_) => String::from_utf8(out.0).map_err(|_| RenderError::Invalid { field, reason: "not UTF-8".into() }),
        Err(e) if matches!(e.kind(), ErrorKind::OutOfFuel | ErrorKind::WriteFailure) => {
            Err(RenderError::TooBig { field })
        }
        Err(e) if e.kind() == ErrorKind::UndefinedError => {
            Err(RenderError::Invalid { field, reason: "uses a value that is not given".into() })
        }
        Err(e) => Err(RenderError::Invalid { field, reason: e.detail().unwrap_or("cannot be rendered").to_owned() }),
    }
}

/// A writer that refuses to grow past [`MAX_OUTPUT`].
struct Capped(Vec<u8>);

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT {
            return Err(std::io::Error::other("output limit"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TenantId;
    use crate::testing::fixtures::template;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn variables_are_found_and_syntax_checked() {
        assert_eq!(
            variables_of(Part::Text, "Hello {{ name }}, {% if vip %}welcome{% endif %}").unwrap_or_default(),
            BTreeSet::from(["name".to_owned(), "vip".to_owned()])
        );
        assert!(matches!(
            variables_of(Part::Subject, "{{ unclosed"),
            Err(RenderError::Invalid { field: "subject", .. })
        ));
        let include = variables_of(Part::Text, "{% include '/etc/passwd' %}");
        assert!(matches!(include, Err(RenderError::Invalid { .. })), "no includes at all: {include:?}");
        assert_eq!(variables_of(Part::Text, "{% for i in range(3) %}{{ i }}{% endfor %}"), Ok(BTreeSet::new()));
    }

    #[test]
    fn rendering_escapes_html_only_and_never_evaluates_values() {
        let t = template(TenantId::generate(), "Hi {{ name }}", "Dear {{ name }}", Some("<p>{{ name }}</p>"));
        let r = render(&t, &vars(&[("name", "<script>{{ 7*7 }}</script>")])).expect("renders");
        assert_eq!(r.text, "Dear <script>{{ 7*7 }}</script>");
        assert_eq!(r.html.as_deref(), Some("<p>&lt;script&gt;{{ 7*7 }}&lt;&#x2f;script&gt;</p>"));
    }

    #[test]
    fn a_missing_variable_is_named_and_a_line_break_in_the_subject_refused() {
        let t = template(TenantId::generate(), "Hi {{ name }}", "x", None);
        assert_eq!(render(&t, &vars(&[])), Err(RenderError::Missing("name".into())));
        let injected = render(&t, &vars(&[("name", "x\r\nBcc: victim@example.net")]));
        assert_eq!(injected, Err(RenderError::SubjectControl));
    }

    #[test]
    fn work_and_output_are_bounded() {
        let t = template(
            TenantId::generate(),
            "s",
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            None,
        );
        assert_eq!(render(&t, &vars(&[])), Err(RenderError::TooBig { field: "text_body" }));
        let t = template(TenantId::generate(), "s", "{{ v }}{{ v }}{{ v }}", None);
        let big = "x".repeat(MAX_OUTPUT / 2);
        assert_eq!(render(&t, &vars(&[("v", &big)])), Err(RenderError::TooBig { field: "text_body" }));
    }
}
