Command exited with non-zero status 2
1.13
