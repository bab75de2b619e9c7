# scan module
