//! X Information Operations archive rows, after a fixed header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(b"tweetid,userid,user_display_name,account_creation_date,follower_count,tweet_text,tweet_time,in_reply_to_userid,in_reply_to_tweetid,quoted_tweet_tweetid,is_retweet,retweet_userid,retweet_tweetid,hashtags,urls,user_mentions\n", data)
});
