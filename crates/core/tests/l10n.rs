//! The catalogs in `locales/`: each parses cleanly, has exactly the
//! messages the code says (`l10n::Msg`), uses only the variables the code
//! passes, and German notifications come out German end to end.

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use deskbell_core::l10n::{says, Arg, Language, Locale, Msg};
use deskbell_core::pipeline::Classifier;
use deskbell_core::rules::{Identity, Rules, Verdict};
use fluent_syntax::ast;

/// Each message's id and the variables its pattern (selectors included)
/// refers to.
fn messages(language: Language) -> Vec<(String, BTreeSet<String>)> {
    let resource = fluent_syntax::parser::parse(language.catalog())
        .unwrap_or_else(|(_, errors)| panic!("{} catalog: {errors:?}", language.code()));
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            ast::Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern_vars(p, &mut vars);
                }
                Some((m.id.name.to_owned(), vars))
            }
            ast::Entry::Term(t) => panic!("term -{} : the code has no terms", t.id.name),
            _ => None,
        })
        .collect()
}

fn pattern_vars(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for v in variants {
                pattern_vars(&v.value, out);
            }
        }
        ast::Expression::Inline(i) => inline_vars(i, out),
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
        _ => {}
    }
}

#[test]
fn every_catalog_has_exactly_the_messages_the_code_says() {
    let code: BTreeSet<&str> = Msg::ALL.iter().map(|m| m.id()).collect();
    for language in Language::ALL {
        let found = messages(language);
        let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "{}: a message given twice",
            language.code()
        );
        let missing: Vec<_> = code.difference(&unique).collect();
        let stale: Vec<_> = unique.difference(&code).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", language.code());
        assert!(stale.is_empty(), "{} has unused {stale:?}", language.code());
        for (id, vars) in &found {
            let msg = Msg::ALL
                .iter()
                .find(|m| m.id() == id)
                .expect("checked above");
            let passed: BTreeSet<String> = msg.args().iter().map(|a| (*a).to_owned()).collect();
            assert!(
                vars.is_subset(&passed),
                "{} {id} uses {vars:?}, the code passes {passed:?}",
                language.code()
            );
        }
    }
}

#[test]
fn every_message_is_said_whole_in_every_language() {
    for language in Language::ALL {
        for msg in Msg::ALL {
            let args: Vec<(&str, Arg<'_>)> = msg
                .args()
                .iter()
                .map(|a| match *a {
                    "count" | "minutes" | "code" => (*a, Arg::Num(2)),
                    _ => (*a, Arg::Str("x")),
                })
                .collect();
            assert!(
                says(language, *msg, &args),
                "{} {}",
                language.code(),
                msg.id()
            );
        }
    }
}

/// Every notification the fixtures raise, through the same classifier the
/// app runs, in `locale`.
fn notifications(locale: Locale) -> Vec<(String, String, String)> {
    let mut classifier = Classifier::new(Rules::default(), Identity::default());
    classifier.locale = locale;
    let mut out = Vec::new();
    for family in ["freshdesk", "freshcaller", "freshchat", "xelion"] {
        for name in common::all_in(family) {
            let bytes = common::bytes(&name);
            let classified = classifier.classify_bytes(&bytes, Utc::now());
            if let Some(Verdict::Notify(list)) = classified.verdict {
                out.extend(list.into_iter().map(|n| (name.clone(), n.title, n.body)));
            }
        }
    }
    out
}

#[test]
fn the_fixtures_notify_in_german_with_no_english_left() {
    let english = notifications(Locale::english());
    let german = notifications(Locale::of(Language::German));
    assert_eq!(english.len(), german.len());
    assert!(english.len() >= 8, "{english:?}");
    for ((name, en_title, en_body), (_, de_title, de_body)) in english.iter().zip(&german) {
        assert_ne!(en_title, de_title, "{name}: the title is not translated");
        if !en_body.is_empty() {
            // A body of only customer text (a subject, a number) is the same.
            let en_words = ["priority", "from ", "to ", "by ", "nobody", "was "];
            for w in en_words {
                assert!(!de_body.contains(w), "{name}: {w:?} left in {de_body:?}");
            }
        }
    }
    let titles: Vec<&str> = german.iter().map(|(_, t, _)| t.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Verpasster Anruf von ")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Neues Ticket #")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("wurde neu zugewiesen")),
        "{titles:?}"
    );
}
