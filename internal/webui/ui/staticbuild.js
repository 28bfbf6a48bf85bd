let isStaticBuild = false;
const staticResults = new Map()
