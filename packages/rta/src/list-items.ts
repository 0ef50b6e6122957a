/**
 * The items of a `*List` message (PeriodicDataList, ...: `repeated Item items = 1`) as the bytes
 * they were sent as, so a server can check each item and store it without encoding it again.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { messageOf, RtaFormatError } from "./errors.js";

/** Each field-1 element's bytes (views into `list`); other fields are skipped. Throws RtaFormatError. */
export function listItems(list: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(list);
  const items: Uint8Array[] = [];
  try {
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) items.push(reader.bytes());
      else reader.skip(wireType, field);
    }
  } catch (cause) {
    throw new RtaFormatError(`not a list message: ${messageOf(cause)}`, { cause });
  }
  return items;
}
