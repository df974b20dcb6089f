/**
 * Link quality in words. The engine grades each open link (engine/routing/linkQuality.ts);
 * the UI shows the grade and, on hover, the measurements behind it.
 */
import type { LinkQuality } from './linkState.ts'

export type QualityGrade = LinkQuality['grade']

const GRADE_TEXT: Record<QualityGrade, string> = {
  excellent: 'excellent',
  good: 'good',
  fair: 'fair',
  poor: 'poor',
  // An open link that stopped answering pings.
  offline: 'not responding',
}

export function gradeText(grade: QualityGrade): string {
  return GRADE_TEXT[grade]
}

/** "Round trip 23 ms · jitter 4 ms · loss 0 %"; parts not measured yet are left out. */
export function qualityDetails(quality: LinkQuality): string {
  const parts: string[] = []
  if (quality.rttMs !== null) parts.push(`Round trip ${Math.round(quality.rttMs)} ms`)
  if (quality.jitterMs !== null) parts.push(`jitter ${Math.round(quality.jitterMs)} ms`)
  parts.push(`loss ${formatLoss(quality.loss)}`)
  const text = parts.join(' · ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function formatLoss(loss: number): string {
  const percent = loss * 100
  // Below 10 % one decimal tells 0.5 % from 0; above, whole percents are enough.
  return `${percent === 0 || percent >= 10 ? Math.round(percent) : percent.toFixed(1)} %`
}
