/**
 * The Arrow IPC file layout this store writes and reads back without decoding: the sequence of
 * the last record applied, kept in the schema's metadata; the footer and its record batch blocks;
 * record batch messages as byte regions; and a file composed from those regions as apache-arrow's
 * file writer would lay it out. Copying regions is what lets an append skip decoding stored rows.
 */
import { Message, MessageHeader, MetadataVersion, type RecordBatch, Schema, Table, tableToIPC } from "apache-arrow";
// The file format's footer, a module apache-arrow exports by subpath (not from its index), as its
// own file writer uses it. The table-store tests read our files with apache-arrow's file and
// stream readers.
import { FileBlock, Footer } from "apache-arrow/ipc/metadata/file";

/** The schema metadata key naming the last record applied to a partition file. */
const SEQUENCE_KEY = "beamgate:sequence";
export const MAGIC = Uint8Array.from([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]); // "ARROW1"
/** The stream's end marker, which apache-arrow's file writer puts before the footer. */
export const EOS = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Record batch messages as bytes, with their blocks (offsets from the start of `bytes`). */
interface BatchRegion {
  readonly bytes: Uint8Array;
  readonly blocks: readonly FileBlock[];
}

/** `schema` with its metadata naming `sequence` as the last record applied. */
export function withSequence(schema: Schema, sequence: number): Schema {
  const metadata = new Map(schema.metadata);
  metadata.set(SEQUENCE_KEY, String(sequence));
  return new Schema(schema.fields, metadata);
}

/** The sequence `withSequence` put in `schema` (0: none). */
export function sequenceOf(schema: Schema): number {
  return Number(schema.metadata.get(SEQUENCE_KEY) ?? 0) || 0;
}

/** The footer of an Arrow IPC file (its length stands just before the closing magic). */
export function footerOf(file: Uint8Array): Footer {
  const end = file.byteLength - MAGIC.byteLength - 4;
  const length = new DataView(file.buffer, file.byteOffset, file.byteLength).getInt32(end, true);
  return Footer.decode(file.subarray(end - length, end));
}

/** The record batch messages of a file this store wrote, with their blocks. */
export function regionOfFile(file: Uint8Array): BatchRegion {
  const blocks = [...footerOf(file).recordBatches()];
  if (blocks.length === 0) return { bytes: new Uint8Array(0), blocks: [] };
  const start = (blocks[0] as FileBlock).offset;
  const last = blocks[blocks.length - 1] as FileBlock;
  const end = last.offset + last.metaDataLength + last.bodyLength;
  return {
    bytes: file.subarray(start, end),
    blocks: blocks.map((b) => new FileBlock(b.metaDataLength, b.bodyLength, b.offset - start)),
  };
}

/** `batches` encoded as record batch messages (as apache-arrow's writer lays them out), with their blocks. */
export function regionOfBatches(schema: Schema, batches: readonly RecordBatch[]): BatchRegion {
  const stream = tableToIPC(new Table(schema, [...batches]), "stream");
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const messageAt = (at: number) => {
    if (view.getInt32(at, true) !== -1) throw new Error("unexpected IPC framing");
    const length = view.getInt32(at + 4, true);
    const message = Message.decode(stream.subarray(at + 8, at + 8 + length));
    return { metaDataLength: 8 + length, message };
  };
  const start = messageAt(0).metaDataLength; // past the schema message
  const end = stream.byteLength - EOS.byteLength;
  const blocks: FileBlock[] = [];
  for (let at = start; at < end; ) {
    const { metaDataLength, message } = messageAt(at);
    if (message.headerType !== MessageHeader.RecordBatch) throw new Error("unexpected IPC message (a dictionary?)");
    blocks.push(new FileBlock(metaDataLength, message.bodyLength, at - start));
    at += metaDataLength + message.bodyLength;
  }
  return { bytes: stream.subarray(start, end), blocks };
}

/**
 * An Arrow IPC file of `schema` holding the regions' batches in order, laid out as apache-arrow's
 * file writer lays one out: magic and padding, the schema message, the batches, the end marker,
 * the footer, its length, the magic.
 */
export function composeFile(schema: Schema, regions: readonly BatchRegion[]): Uint8Array {
  const stream = tableToIPC(new Table(schema), "stream");
  const header = stream.subarray(0, stream.byteLength - EOS.byteLength);
  const blocks: FileBlock[] = [];
  let at = 8 + header.byteLength;
  for (const region of regions) {
    for (const b of region.blocks) blocks.push(new FileBlock(b.metaDataLength, b.bodyLength, b.offset + at));
    at += region.bytes.byteLength;
  }
  const footer = Footer.encode(new Footer(schema, MetadataVersion.V5, blocks, []));
  const out = new Uint8Array(at + EOS.byteLength + footer.byteLength + 4 + MAGIC.byteLength);
  out.set(MAGIC, 0);
  out.set(header, 8);
  let p = 8 + header.byteLength;
  for (const region of regions) {
    out.set(region.bytes, p);
    p += region.bytes.byteLength;
  }
  out.set(EOS, p);
  out.set(footer, p + EOS.byteLength);
  p += EOS.byteLength + footer.byteLength;
  new DataView(out.buffer).setInt32(p, footer.byteLength, true);
  out.set(MAGIC, p + 4);
  return out;
}
