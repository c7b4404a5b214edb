// The signed-in staff member, if any: bearer token, role and name, kept in sessionStorage
// (gone when the tab closes; never in localStorage, never in the service worker's caches).

const KEY = 'frontdoor.staff';
const listeners = new Set();
const MANAGERS = new Set(['dispatcher', 'admin']);

export function staff() {
  try {
    const found = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (found && new Date(found.expires_at) > new Date()) return found;
  } catch {
    // an unreadable entry counts as signed out
  }
  return null;
}

export function isManager(member = staff()) {
  return Boolean(member && MANAGERS.has(member.role));
}

export function isCrew(member = staff()) {
  return Boolean(member && member.role === 'crew');
}

export function setStaff(member) {
  if (member) sessionStorage.setItem(KEY, JSON.stringify(member));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((fn) => fn(member));
}

export function onStaffChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function authHeaders() {
  const member = staff();
  return member ? { Authorization: `Bearer ${member.token}` } : {};
}
