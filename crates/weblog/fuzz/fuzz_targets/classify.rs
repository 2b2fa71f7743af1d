//! The request classifier on arbitrary targets and user agents (decoding, rules).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (target, ua) = text.split_once('\n').unwrap_or((&text, ""));
    let h = lockstep_weblog::Http {
        method: Cow::Borrowed("POST"),
        target: Cow::Borrowed(target),
        protocol: Cow::Borrowed("HTTP/1.1"),
        status: 401,
        user_agent: Some(Cow::Borrowed(ua)),
        referer: Some(Cow::Borrowed(ua)),
        ..Default::default()
    };
    let _ = lockstep_infra::classify::Classifier::default().http(&h);
});
