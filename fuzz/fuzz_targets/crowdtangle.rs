//! CrowdTangle / CooRnet rows, after a fixed header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(b"\"\",\"platformId\",\"platform\",\"date\",\"expanded\",\"postUrl\",\"id\",\"message\",\"description\",\"account.id\",\"account.subscriberCount\",\"account.url\",\"account.platform\"\n", data)
});
