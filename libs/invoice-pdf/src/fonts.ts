import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { create, type Font } from 'fontkit';

export interface InvoiceFonts {
  readonly regular: Font;
  readonly bold: Font;
}

let fonts: InvoiceFonts | undefined;

function parse(name: string): Font {
  const require = createRequire(import.meta.url);
  const font = create(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${name}`)));
  if (!('layout' in font)) throw new Error(`${name} is a font collection; one font expected`);
  return font;
}

/**
 * DejaVu Sans, regular and bold, from the dejavu-fonts-ttf package: Latin (with Extended-A/B), Greek and Cyrillic, so
 * a customer in Łódź or Москва is printed as written (what it lacks, such as CJK, prints as the font's empty box).
 * The files are pinned by the lockfile's integrity hash, so every machine embeds the same glyphs and the PDF's bytes
 * do not depend on the machine. Parsed once per process and shared by every document: pdfkit handed the file would
 * parse it for each PDF, several times the cost of the rest of the rendering; each document still makes its own
 * subset, so sharing changes no byte (render.test.ts).
 */
export function invoiceFonts(): InvoiceFonts {
  fonts ??= { regular: parse('DejaVuSans.ttf'), bold: parse('DejaVuSans-Bold.ttf') };
  return fonts;
}
