// R10: what another province's system sends us (signed, no bearer token): the messages are domain/peer-protocol.ts's.
import { z } from 'zod';

export { PeerAccepted, PeerAnnounce, PeerAnnounceAccepted, PeerArrivalConfirmed, PeerRejected, PeerReleaseConfirmed } from '../domain/peer-protocol';

export const PeerTransferParams = z.object({ transferId: z.uuid() });
