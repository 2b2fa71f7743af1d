//! Meta Content Library CSV rows, after a fixed (Facebook) header.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    lockstep_fuzz::check_with_prefix(b"id,creation_time,modified_time,text,lang,is_branded_content,content_type,match_type,mcl_url,multimedia,link_attachment.link,link_attachment.name,shared_post_id,post_owner.type,post_owner.id,post_owner.name,surface.type,surface.id,surface.name,statistics.reaction_count,statistics.comment_count,statistics.share_count,statistics.views\n", data)
});
