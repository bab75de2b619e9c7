# lua module
