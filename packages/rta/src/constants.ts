/**
 * Fixed facts of the RTA v2 wire format (McLaren ATLAS RTA API): the WebSocket subprotocol, the
 * REST content types and the chunk compression codes, plus the default cap on decompressed sizes.
 */

/** The subprotocol an RTA stream client MUST offer; the server answers 406 without it. */
export const STREAM_SUBPROTOCOL = "mat.ocs.rta.stream-lz4";

/** REST data responses: repeated `int32 LE length, ChunkTransferHeader, payload` to EOF. */
export const CHUNKED_CONTENT_TYPE = "application/vnd.mat.protobuf+chunked";

/** The `Accept` type of `GET /rta/v2/configs/{identifier}`. */
export const CONFIG_CONTENT_TYPE = "application/vnd.mat.config+json";

/** `ChunkTransferHeader` compression codes (the header carries deltas of these). */
export const COMPRESSION = { NONE: 0, LZ4: 1 } as const;
export type Compression = (typeof COMPRESSION)[keyof typeof COMPRESSION];

/**
 * Default largest decompressed LZ4 block, in bytes (64 MiB). A peer states the size (or it is
 * computed from the block) before anything is allocated; past this it is refused. Upstream sizes
 * stream bursts to about 64 KiB, so this leaves room for large REST chunks.
 */
export const DEFAULT_MAX_BLOCK_BYTES = 64 * 1024 * 1024;
