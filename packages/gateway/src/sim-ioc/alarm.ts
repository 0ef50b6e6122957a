/**
 * EPICS alarm severities and statuses, with the codes of EPICS Base's `alarm.h`
 * (`epicsAlarmSeverity`, `epicsAlarmCondition`), and the limit check an ai record makes.
 */
import type { DbrLimits } from "@beamgate/epics-ca";

export const SEVERITY = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3 } as const;

export const STATUS = { NO_ALARM: 0, READ: 1, WRITE: 2, HIHI: 3, HIGH: 4, LOLO: 5, LOW: 6 } as const;

export interface Alarm {
  readonly status: number;
  readonly severity: number;
}

/**
 * The alarm of `value` against the HIHI/HIGH/LOW/LOLO limits (`upperAlarm`, `upperWarning`,
 * `lowerWarning`, `lowerAlarm`), checked as an ai record checks them (HIHI first), with no hysteresis.
 */
export function limitAlarm(value: number, limits: DbrLimits): Alarm {
  if (value >= limits.upperAlarm) return { status: STATUS.HIHI, severity: SEVERITY.MAJOR };
  if (value <= limits.lowerAlarm) return { status: STATUS.LOLO, severity: SEVERITY.MAJOR };
  if (value >= limits.upperWarning) return { status: STATUS.HIGH, severity: SEVERITY.MINOR };
  if (value <= limits.lowerWarning) return { status: STATUS.LOW, severity: SEVERITY.MINOR };
  return { status: STATUS.NO_ALARM, severity: SEVERITY.NO_ALARM };
}
