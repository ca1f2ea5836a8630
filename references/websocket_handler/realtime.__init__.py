"""Real-time rooms over WebSocket: settings, frames, manager, backplane, endpoint."""
