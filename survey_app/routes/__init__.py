"""HTTP routes, one router per area. Routes are thin: parse, call a service, render."""
