//! Telegram Desktop exports (streamed), after the start of a channel export that fixes the
//! format: the fuzzer writes its messages.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(b"{\n \"name\": \"chan\",\n \"type\": \"public_channel\",\n \"id\": 77,\n \"messages\": [\n  {\"id\": 1, \"type\": \"message\", \"date_unixtime\": \"1731315600\", \"from_id\": \"user1\", \"text\": \"hi\"},\n", data)
});
