// Where the room's socket goes when there are several nodes (the state is room.js's).
// Each live session runs on one of them. The socket goes through the load
// balancer with a hint ({session, node} in its query) that sends it to that node; a node that
// does not run the session says which one does (session_elsewhere), or that it is moving to
// another node (session_moving: its node is gone or stopping), and the socket tries again.
export function reconnectVia(state, route, delay) {
  state.route = { ...state.route, ...route };
  for (const [name, value] of Object.entries(state.route)) if (!value) delete state.route[name];
  clearTimeout(state.retry);
  state.retry = setTimeout(() => {
    if (state.finished) return;
    const socket = state.socket;
    socket.io.opts.query = { ...state.route };
    socket.disconnect(); // a new transport (through the load balancer) with the new hint
    socket.connect();
  }, delay);
}

export const ROUTING_CODES = ['session_elsewhere', 'session_moving', 'server_busy'];
