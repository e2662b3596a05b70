/** SSF stream ids Warden issues and accepts: they become consumer names, which allow no `.`, `*`, `>`. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
