//! coordination-network-toolkit rows, after a fixed header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lockstep_fuzz::check_with_prefix(
    b"message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n",
    data
));
