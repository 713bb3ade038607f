"""After the wave: status, export, undo, doctor, the template."""
