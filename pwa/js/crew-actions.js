// What a crew member does to a job (accept, start, complete, could not complete), queued in
// the outbox and sent through the sync API's batch endpoint, online or hours later.
//
// Each action gets its id when the button is pressed, and carries the version of the job the
// crew saw, or, after an action of theirs still waiting, that action's id (based_on): the
// server then expects the version that action produced. A replay of an id is answered with
// the first answer, so sending again after a lost answer never applies anything twice.
// Proof photos are uploaded first, each under a key made from the action id; the id the
// server gives is saved on the item at once.
//
// Answers: applied (or already applied) leaves the outbox; a conflict (the job changed
// meanwhile) or a refusal stays in it as "needs attention", with the current job and the
// reason, until the crew member discards it or applies it again to the current job. A network
// failure or a server error keeps everything waiting, in order.

import { ApiError, NetworkError, send } from './api.js';
import { storeWorkOrders } from './crew-jobs.js';
import { ATTENTION, WAITING, discard, enqueue, exclusively, list, save, uploadPhotos }
  from './outbox.js';
import { authHeaders, staff } from './staff.js';

const ACTIONS_URL = '/api/v1/sync/actions';
const PHOTOS_URL = '/api/v1/photos';
const BATCH = 200;

/** The status a job is in once the action is applied. */
export const LEADS_TO = { accept: 'accepted', start: 'in_progress', complete: 'completed',
  could_not_complete: 'could_not_complete' };

export function queueName(member = staff()) {
  return `crew:${member?.username || ''}`;
}

function newActionId(action, jobId) {
  const random = crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16)).join('');
  return `${action}-${jobId}-${random}`;
}

/** The outbox items of the signed-in crew member, oldest first. */
export function queued() {
  return list(queueName());
}

/**
 * Queue an action on a job. fields: {notes, reason}; photos: [{data, type, name}].
 * Resolves to the outbox item.
 */
export async function queueAction(job, action, fields = {}, photos = []) {
  const waiting = (await queued()).filter((i) => i.state === WAITING
    && i.meta.action.work_order_id === job.id);
  const actionId = newActionId(action, job.id);
  const body = { action_id: actionId, work_order_id: job.id, action,
    notes: fields.notes || '', reason: fields.reason || '' };
  if (waiting.length) body.based_on = waiting[waiting.length - 1].meta.action.action_id;
  else body.version = job.version;
  return enqueue(queueName(), {
    request: { url: ACTIONS_URL, method: 'POST', headers: { 'Idempotency-Key': actionId },
      body: null },
    photos,
    meta: { action: body, job: { id: job.id, tracking: job.tracking,
      service_name: job.service_name, address: job.address } },
  });
}

/** Put a refused action back in line, now based on the job as the server has it. */
export async function applyAgain(item, current) {
  const action = { ...item.meta.action, version: current.version };
  delete action.based_on;
  await save({ ...item, meta: { ...item.meta, action }, state: WAITING, attention: null,
    timestamp: Date.now() });
}

export function dismiss(item) {
  return discard(item.id);
}

const needsSignIn = (error) => error instanceof ApiError && [401, 403].includes(error.status);
const refused = (error) => error instanceof ApiError && error.status < 500;

async function needsAttention(item, attention) {
  await save({ ...item, state: ATTENTION, attention });
}

async function postActions(items) {
  const actions = items.map((item) => ({ ...item.meta.action,
    photos: item.photos.map((p) => p.id) }));
  const response = await send(ACTIONS_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json',
      ...authHeaders() },
    body: JSON.stringify({ actions }),
  });
  return (await response.json()).results;
}

async function settle(item, answer, outcome) {
  if (answer.outcome === 'applied' || answer.outcome === 'already_applied') {
    if (answer.work_order) await storeWorkOrders([answer.work_order]);
    await discard(item.id);
    outcome.applied.push(item);
  } else if (answer.outcome === 'conflict') {
    if (answer.work_order) await storeWorkOrders([answer.work_order]);
    await needsAttention(item, { kind: 'conflict', code: answer.error?.code,
      message: answer.error?.message, work_order: answer.work_order });
    outcome.conflicts.push(item);
  } else {
    await needsAttention(item, { kind: 'rejected', code: answer.error?.code,
      message: answer.error?.message });
    outcome.rejected.push(item);
  }
}

/** Send a batch; a batch the server cannot read at all is sent again one action at a time,
 *  so the one at fault is the only one that needs attention. */
async function sendBatch(items, outcome) {
  let answers;
  try {
    answers = await postActions(items);
  } catch (error) {
    if (!refused(error) || needsSignIn(error)) throw error;
    if (items.length === 1) {
      await needsAttention(items[0], { kind: 'rejected', code: error.code,
        message: error.message, details: error.details });
      outcome.rejected.push(items[0]);
      return;
    }
    for (const item of items) await sendBatch([item], outcome);
    return;
  }
  const byId = new Map(answers.map((a) => [a.action_id, a]));
  for (const item of items) {
    const answer = byId.get(item.meta.action.action_id);
    if (answer) await settle(item, answer, outcome);
  }
}

async function sendNow() {
  const outcome = { applied: [], conflicts: [], rejected: [], waiting: 0, offline: false,
    signIn: false };
  const ready = [];
  const waiting = (await queued()).filter((i) => i.state === WAITING);
  try {
    for (const item of waiting) {
      try {
        await uploadPhotos(item, { photoUrl: PHOTOS_URL, headers: authHeaders() });
        ready.push(item);
      } catch (error) {
        if (!refused(error) || needsSignIn(error)) throw error;
        await needsAttention(item, { kind: 'rejected', code: error.code, message: error.message });
        outcome.rejected.push(item);
      }
    }
    for (let start = 0; start < ready.length; start += BATCH) {
      await sendBatch(ready.slice(start, start + BATCH), outcome);
    }
  } catch (error) {
    if (needsSignIn(error)) outcome.signIn = true;
    else if (error instanceof NetworkError || error instanceof ApiError) outcome.offline = true;
    else throw error;
  }
  outcome.waiting = (await queued()).filter((i) => i.state === WAITING).length;
  return outcome;
}

/**
 * Send every waiting action of the signed-in crew member, in order (one sender at a time,
 * across tabs). Resolves to {applied, conflicts, rejected, waiting, offline, signIn}.
 */
export function sendActions() {
  if (!staff() || staff().role !== 'crew') {
    return Promise.resolve({ applied: [], conflicts: [], rejected: [], waiting: 0,
      offline: false, signIn: false });
  }
  return exclusively(`frontdoor-outbox:${queueName()}`, sendNow);
}
