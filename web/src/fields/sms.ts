// How many SMS parts a text costs. Texts in the GSM-7 alphabet fit 160
// characters in one SMS and 153 per part when split; one character outside
// it switches the whole text to UCS-2: 70 in one, 67 per part. GSM-7's
// extension characters take two places each.

const gsmBasic = new Set(Array.from(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'))
const gsmExtension = new Set(Array.from('^{}\\[~]|€\f'))

export interface SmsCount {
  encoding: 'GSM-7' | 'UCS-2'
  /** Characters as a reader counts them. */
  characters: number
  /** Places used: GSM-7 septets, or UCS-2 code units (an emoji takes two). */
  units: number
  segments: number
  /** Places per part at this length: 160/70 for one SMS, 153/67 when split. */
  perSegment: number
}

export function smsSegments(text: string): SmsCount {
  const chars = Array.from(text)
  let septets = 0
  let gsm = true
  for (const c of chars) {
    if (gsmBasic.has(c)) septets += 1
    else if (gsmExtension.has(c)) septets += 2
    else { gsm = false; break }
  }
  const [units, single, multi] = gsm ? [septets, 160, 153] : [text.length, 70, 67]
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi)
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', characters: chars.length, units, segments, perSegment: segments > 1 ? multi : single }
}
