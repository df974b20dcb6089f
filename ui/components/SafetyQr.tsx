import { createMemo, type JSX } from 'solid-js'
import { qrDrawing, safetyQrPayload } from '../lib/safetyNumber.ts'

export interface SafetyQrProps {
  readonly safetyNumber: string
}

/**
 * The safety number as a QR code. Always dark on light, also in dark mode: many
 * scanners cannot read an inverted code.
 */
export function SafetyQr(props: SafetyQrProps): JSX.Element {
  const drawing = createMemo(() => qrDrawing(safetyQrPayload(props.safetyNumber)))
  return (
    <div class="qr" data-testid="safety-qr">
      <svg
        viewBox={`0 0 ${drawing().size} ${drawing().size}`}
        role="img"
        aria-label="QR code of the safety number"
        shape-rendering="crispEdges"
      >
        <rect width={drawing().size} height={drawing().size} fill="#fff" />
        <path d={drawing().path} fill="#111" />
      </svg>
    </div>
  )
}
