/** Display, alarm and control limits for test PVs served by a CaServer: display ±10, alarms ±8/±9, control ±5. */
import type { DbrLimits } from "@beamgate/epics-ca";

export const DEMO_LIMITS: DbrLimits = {
  upperDisplay: 10,
  lowerDisplay: -10,
  upperAlarm: 9,
  upperWarning: 8,
  lowerWarning: -8,
  lowerAlarm: -9,
  upperControl: 5,
  lowerControl: -5,
};
