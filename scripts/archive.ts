/**
 * Byte-reproducible release archives: the same entries give the same bytes on every run and
 * machine. Entries are sorted, owned by 0:0 with fixed modes and one fixed mtime, and the gzip
 * header carries no name and no time. Written here rather than with `tar`/`zip`/`Bun.Archive`:
 * Bun.Archive stamps the current time and mode 0644 on every entry, and GNU tar's determinism
 * flags (--sort, --mtime, --owner) do not exist in the bsdtar of a macOS runner.
 */
import { promisify } from "node:util";
import { deflateRaw, gzip } from "node:zlib";

export interface Entry {
  name: string;
  data: Uint8Array;
  /** Permission bits, e.g. 0o755 for the binary. */
  mode: number;
}

/** Highest deflate level: the archives are downloaded far more often than they are built. */
const LEVEL = 9;
const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);

function sorted(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const BLOCK = 512;

/** Writes `value` as zero-padded octal filling `width - 1` bytes plus a NUL, as ustar wants. */
function octal(header: Uint8Array, offset: number, width: number, value: number) {
  const text = value.toString(8).padStart(width - 1, "0");
  if (text.length > width - 1) throw new Error(`tar field overflow: ${value}`);
  header.set(new TextEncoder().encode(text), offset);
}

function tarHeader(entry: Entry, mtime: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const name = new TextEncoder().encode(entry.name);
  if (name.length > 100) throw new Error(`tar entry name too long: ${entry.name}`);
  header.set(name, 0);
  octal(header, 100, 8, entry.mode);
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, entry.data.length);
  octal(header, 136, 12, mtime);
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  header[156] = 0x30; // typeflag '0': regular file
  header.set(new TextEncoder().encode("ustar\x0000"), 257);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\x00 "), 148);
  return header;
}

/** A ustar archive, gzip-compressed. `mtime` is in seconds since the epoch. */
export async function tarGz(entries: Entry[], mtime: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const entry of sorted(entries)) {
    parts.push(tarHeader(entry, mtime), entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end-of-archive marker
  const tar = new Uint8Array(Bun.concatArrayBuffers(parts));
  // node:zlib writes a header with no file name, mtime 0 and the OS byte of a Unix build.
  return new Uint8Array(await gzipAsync(tar, { level: LEVEL }));
}

/** MS-DOS date and time fields (2-second resolution, 1980 at the earliest), read in UTC. */
function dosDateTime(mtime: number): { date: number; time: number } {
  const d = new Date(Math.max(mtime, 315532800) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

const VERSION_NEEDED = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED; // Unix, so unzip honours the mode bits
const DEFLATE = 8;
const S_IFREG = 0o100000;

/** A zip archive (deflate, no zip64, no extra fields). `mtime` is in seconds since the epoch. */
export async function zip(entries: Entry[], mtime: number): Promise<Uint8Array> {
  const { date, time } = dosDateTime(mtime);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of sorted(entries)) {
    const name = new TextEncoder().encode(entry.name);
    const compressed = new Uint8Array(await deflateRawAsync(entry.data, { level: LEVEL }));
    const crc = Bun.hash.crc32(entry.data);
    if (offset + compressed.length > 0xffffffff) throw new Error("zip too large without zip64");

    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, VERSION_NEEDED, true);
    local.setUint16(6, 0, true); // flags
    local.setUint16(8, DEFLATE, true);
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressed.length, true);
    local.setUint32(22, entry.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true); // extra field length
    locals.push(new Uint8Array(local.buffer), name, compressed);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, MADE_BY_UNIX, true);
    central.setUint16(6, VERSION_NEEDED, true);
    central.setUint16(8, 0, true);
    central.setUint16(10, DEFLATE, true);
    central.setUint16(12, time, true);
    central.setUint16(14, date, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, compressed.length, true);
    central.setUint32(24, entry.data.length, true);
    central.setUint16(28, name.length, true);
    // 30: extra length, 32: comment length, 34: disk number, 36: internal attributes: all 0
    central.setUint32(38, ((S_IFREG | entry.mode) << 16) >>> 0, true);
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), name);

    offset += 30 + name.length + compressed.length;
  }
  const directorySize = centrals.reduce((total, part) => total + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true); // entries on this disk
  end.setUint16(10, entries.length, true); // entries in total
  end.setUint32(12, directorySize, true);
  end.setUint32(16, offset, true);
  return new Uint8Array(
    Bun.concatArrayBuffers([...locals, ...centrals, new Uint8Array(end.buffer)]),
  );
}
