//! rtweet rows, after a fixed header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(b"user_id,status_id,created_at,screen_name,text,reply_to_status_id,reply_to_screen_name,is_quote,is_retweet,hashtags,urls_expanded_url,mentions_screen_name,quoted_status_id,retweet_status_id,retweet_screen_name,followers_count,account_created_at\n", data)
});
