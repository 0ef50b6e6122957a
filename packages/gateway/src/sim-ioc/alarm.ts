/** The alarm limit check an ai record makes, with EPICS alarm codes (`alarm.h`, in epics-ca). */
import { type DbrLimits, ALARM_SEVERITY as SEVERITY, ALARM_STATUS as STATUS } from "@beamgate/epics-ca";

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
